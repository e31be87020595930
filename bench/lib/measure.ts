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

/** Options shared by every benchmark: `--quick` shortens runs for a smoke check. */
export function benchOptions(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  return { quick, runs: 3, durationMs: quick ? 1_000 : 5_000 };
}

export function formatRate(perSecond: number): string {
  return perSecond >= 10_000 ? `${(perSecond / 1000).toFixed(1)}k` : perSecond.toFixed(0);
}
