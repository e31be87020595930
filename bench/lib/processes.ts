import { createWriteStream } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort } from '../../src/db/freePort.js';

/** A server started as its own process for a benchmark (pinned to one core when `taskset` exists). */
export interface BenchProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

// Servers still running when the benchmark ends or is stopped (Ctrl-C, a timeout's SIGTERM): they
// are stopped with it rather than left to load the machine under the next run.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
}

/**
 * Starts `script` with tsx on a free port and waits for `readyText` in its output. `cpu` pins it
 * with taskset so the server and the load generator do not share a core.
 */
export async function startBenchProcess(
  script: string,
  env: Record<string, string>,
  readyText: string,
  cpu?: number,
): Promise<BenchProcess> {
  const port = await findFreePort();
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile of every benchmarked server there (profile, then fix).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  // Compiled JavaScript (dist/) runs on plain node, as the container image runs it.
  const args = [...profile, ...(script.endsWith('.js') ? [] : ['--import', 'tsx']), script];
  const [command, argv] = cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  const child: ChildProcess = spawn(command, argv, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  // BENCH_LOG_DIR=<dir> keeps each server's log there, named by its process id.
  if (process.env.BENCH_LOG_DIR) {
    const log = createWriteStream(`${process.env.BENCH_LOG_DIR}/${child.pid}.log`);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  }
  const deadline = Date.now() + 60_000;
  while (!output.includes(readyText)) {
    if (child.exitCode !== null) throw new Error(`${script} exited:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
