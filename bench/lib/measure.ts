/** Runs `operation` from `concurrency` loops for `durationMs` and returns completed operations/s. */
export async function throughput(
  operation: (worker: number, iteration: number) => Promise<unknown>,
  options: { concurrency: number; durationMs: number },
): Promise<number> {
  const deadline = performance.now() + options.durationMs;
  const started = performance.now();
  let completed = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await operation(worker, i);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

/** The median of the numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Options shared by every benchmark: `--quick` shortens runs for a smoke check; `--runs N` (3 by default). */
export function benchOptions(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const runs = Number(optionValue(argv, 'runs') ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a whole number of at least 1');
  return { quick, runs, durationMs: quick ? 1_000 : 5_000 };
}

/** Options that take a value (`--name value` or `--name=value`). */
export const VALUE_OPTIONS = ['runs', 'events', 'engine'];

/** The value of `--name value` or `--name=value`, if given. */
export function optionValue(argv: string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice(argv[at]!.indexOf('=') + 1) : argv[at + 1];
}

/** The arguments that are neither options nor their values (scenario names). */
export function positionalArgs(argv = process.argv.slice(2)): string[] {
  return argv.filter((a, i) => !a.startsWith('--') && !VALUE_OPTIONS.some((name) => argv[i - 1] === `--${name}`));
}

export function formatRate(perSecond: number): string {
  return perSecond >= 10_000 ? `${(perSecond / 1000).toFixed(1)}k` : perSecond.toFixed(0);
}
