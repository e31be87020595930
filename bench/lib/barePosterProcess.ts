import type { BarePosts } from './barePoster.js';
import { startWorker } from './worker.js';

/** The bare webhook poster (bench/lib/barePoster.ts) as a process of its own. */
export interface BarePoster {
  /** Posts every stream's messages; resolves with the milliseconds it took. */
  post(posts: BarePosts): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the bare poster pinned to `cpu`: where the server it is compared with runs. */
export async function startBarePoster(cpu: number): Promise<BarePoster> {
  const worker = await startWorker<BarePosts, number>(new URL('./barePoster.ts', import.meta.url), cpu);
  return { post: (posts) => worker.ask(posts), stop: () => worker.stop() };
}
