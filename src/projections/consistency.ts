import type { PrismaClient } from '../generated/prisma/client.js';
import { ConsistencyTimeoutError } from '../domain/errors.js';
import type { CommitNotifier } from '../eventStore/notifications.js';

/**
 * Read-your-writes: waits until projections have reached a position. Progress is known from the
 * projectors' notifications (from any process) and confirmed from `projection_checkpoints`.
 */
export class ReadModelConsistency {
  private readonly known = new Map<string, bigint>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly notifier: CommitNotifier,
  ) {
    notifier.onProjectionProgress((name, position) => this.record(name, position));
  }

  /**
   * Resolves once every projection in `names` has applied everything up to `position`; throws
   * ConsistencyTimeoutError after `timeoutMs`.
   */
  async waitFor(names: readonly string[], position: bigint, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (names.every((n) => (this.known.get(n) ?? -1n) >= position)) return;
      await this.refresh(names);
      if (names.every((n) => (this.known.get(n) ?? -1n) >= position)) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const behind = names.filter((n) => (this.known.get(n) ?? -1n) < position);
        throw new ConsistencyTimeoutError(`the read side (${behind.join(', ')}) did not reach position ${position} within ${timeoutMs} ms`);
      }
      await this.nextProgress(Math.min(left, 250));
    }
  }

  private async refresh(names: readonly string[]): Promise<void> {
    const rows = await this.prisma.projectionCheckpoint.findMany({ where: { name: { in: [...names] } }, select: { name: true, position: true } });
    for (const row of rows) this.record(row.name, row.position);
  }

  private record(name: string, position: bigint): void {
    if (position > (this.known.get(name) ?? -1n)) this.known.set(name, position);
  }

  private nextProgress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const unsubscribe = this.notifier.onProjectionProgress(done);
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }
}
