import { execFile, fork, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

/** One HTTP target of a load run: its URL and the request bodies to cycle through. */
export interface LoadTarget {
  url: string;
  bodies: string[];
}

export interface LoadRequest {
  targets: LoadTarget[];
  headers: Record<string, string>;
  /** Connections in total, split evenly across the targets. */
  connections: number;
  durationMs: number;
  /** A steady offered rate (requests/s per target) instead of as fast as the server answers. */
  ratePerSecond?: number;
}

export interface LoadResult {
  seconds: number;
  /** 2xx responses (a GraphQL error answers 200 too: check a sample before trusting this count). */
  ok: number;
  non2xx: number;
  errors: number;
  latencyP50Ms: number;
  /** Mean latency, unrounded (autocannon's percentiles are whole milliseconds). */
  latencyMeanMs: number;
  latencyP99Ms: number;
}

/** The autocannon process; `run` one load at a time. */
export interface LoadGenerator {
  run(request: LoadRequest): Promise<LoadResult>;
  stop(): Promise<void>;
}

/**
 * Starts the load generator in its own process, pinned to `cpu` (all its threads) when `taskset`
 * exists, so it does not share a core with a server pinned elsewhere.
 */
export async function startLoadGenerator(cpu?: number): Promise<LoadGenerator> {
  const child: ChildProcess = fork(new URL('./loadGenerator.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
  if (cpu !== undefined) await pin(child.pid!, cpu);
  return {
    run: (request) =>
      new Promise<LoadResult>((resolve) => {
        child.once('message', (result) => resolve(result as LoadResult));
        child.send(request);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Pins every thread of a running process to one core; without taskset it stays unpinned. */
export async function pin(pid: number, cpu: number): Promise<boolean> {
  try {
    await promisify(execFile)('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]);
    return true;
  } catch {
    return false;
  }
}

/** Runs a load and fails loudly on any transport error or non-2xx answer. */
export async function runLoad(generator: LoadGenerator, request: LoadRequest): Promise<LoadResult> {
  const result = await generator.run(request);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result;
}
