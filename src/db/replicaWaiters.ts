import type { ReadReplica } from './readReplica.js';

/** Says which replica serves a waiting read: one, `undefined` when none can, `false` to keep waiting. */
export type Settle = () => ReadReplica | undefined | false;

interface Waiter {
  settled: Settle;
  resolve(replica: ReadReplica | undefined): void;
}

/** Reads waiting for a replica to reach their position, settled together after each poll. */
export class ReplicaWaiters {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Resolves with what `settled` says once it says anything but `false`, or with undefined when `signal` aborts. */
  wait(settled: Settle, signal: AbortSignal): Promise<ReadReplica | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        settled,
        resolve: (replica) => {
          this.waiters.delete(waiter);
          signal.removeEventListener('abort', onAbort);
          resolve(replica);
        },
      };
      const onAbort = () => waiter.resolve(undefined);
      signal.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
    });
  }

  /** Resolves every waiter whose read can now be served (or can no longer be by a replica). */
  settle(): void {
    for (const waiter of [...this.waiters]) {
      const replica = waiter.settled();
      if (replica !== false) waiter.resolve(replica);
    }
  }

  /** Resolves every waiter with undefined: their reads go to the primary. */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(undefined);
  }
}
