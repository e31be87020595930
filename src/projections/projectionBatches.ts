import type { AdvisoryLockSession } from '../db/advisoryLockSession.js';
import type { RecordedEvent } from '../eventStore/types.js';
import { batchTraceContext, inSpan } from '../observability/tracing.js';
import { advanceCheckpointAndCommit, beginAndLockCheckpoint, CheckpointMovedError, skipCheckpoint } from './checkpoints.js';
import type { Projection } from './projection.js';
import type { CheckpointSkips } from './skipBatch.js';

/**
 * How a runner writes on its lock session: a batch's rows and its checkpoint in one transaction,
 * or the checkpoint moved over events the projection does not handle. Each write holds only if
 * the checkpoint is still where the runner left it (`CheckpointMovedError` otherwise).
 */
export class ProjectionBatches {
  constructor(
    private readonly projection: Projection,
    private readonly lock: Pick<AdvisoryLockSession, 'session'>,
    private readonly skips?: CheckpointSkips,
  ) {}

  /** Applies `events` (after `from`) and moves the checkpoint to `to`, traced as one batch. */
  async apply(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    // The batch joins the trace of the mutation whose events it applies (linked to each of several).
    const attributes = {
      'ordersource.projection': this.projection.name,
      'ordersource.events': events.length,
      'ordersource.position': to.toString(),
    };
    await inSpan(
      `projection ${this.projection.name} batch`,
      attributes,
      () => this.applyInTransaction(from, events, to),
      batchTraceContext(events.map((event) => event.metadata.trace)),
    );
  }

  /** Moves the checkpoint from `from` to `to` if nothing in between is for this projection (see skipCheckpoint). */
  trySkip(from: bigint, to: bigint): Promise<boolean> {
    const { name, eventTypes: types } = this.projection;
    return this.skips
      ? this.skips.skip(this.lock.session(), { name, types, from, to })
      : skipCheckpoint(this.lock.session(), name, types, from, to);
  }

  private async applyInTransaction(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    const tx = this.lock.session();
    try {
      const locked = await beginAndLockCheckpoint(tx, this.projection.name);
      if (locked.position !== from || locked.status !== 'RUNNING') throw new CheckpointMovedError();
      if (events.length > 0) await this.projection.apply(tx, events);
      await advanceCheckpointAndCommit(tx, this.projection.name, to);
    } catch (error) {
      await tx.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }
}
