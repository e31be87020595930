import type { BarePublishes } from './bareBusPublisher.js';
import { startWorker } from './worker.js';

/** The bare JetStream publisher (bench/lib/bareBusPublisher.ts) as a process of its own. */
export interface BareBusPublisher {
  pid: number;
  /** Publishes the messages; resolves with events/s. */
  publish(publishes: BarePublishes): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the bare publisher pinned to `cpu`: where the server it is compared with runs. */
export async function startBareBusPublisher(cpu: number): Promise<BareBusPublisher> {
  const worker = await startWorker<BarePublishes, number>(new URL('./bareBusPublisher.ts', import.meta.url), cpu);
  return { pid: worker.pid, publish: (publishes) => worker.ask(publishes), stop: () => worker.stop() };
}
