import { startWorker } from './worker.js';

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
  const worker = await startWorker<LoadRequest, LoadResult>(new URL('./loadGenerator.ts', import.meta.url), cpu);
  return { run: (request) => worker.ask(request), stop: () => worker.stop() };
}

/** Runs a load and fails loudly on any transport error or non-2xx answer. */
export async function runLoad(generator: LoadGenerator, request: LoadRequest): Promise<LoadResult> {
  const result = await generator.run(request);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return result;
}
