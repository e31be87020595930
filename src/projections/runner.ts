import { EventEmitter } from 'node:events';
import { isStorageFull, type Database } from '../db/database.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Logger } from '../logger.js';
import { batchTraceContext, inSpan } from '../observability/tracing.js';
import {
  advanceCheckpointAndCommit,
  beginAndLockCheckpoint,
  CheckpointMovedError,
  ensureCheckpoint,
  markFailed,
  readCheckpoint,
  skipCheckpoint,
} from './checkpoints.js';
import { AdvisoryLockSession } from '../db/advisoryLockSession.js';
import { isolatePoisonEvent, isTransient } from './poison.js';
import type { Projection } from './projection.js';
import { RebuildStoppedError } from './rebuild.js';
import { settleVersion } from './versionRebuild.js';
import { RunnerSchedule, type StepOutcome } from './scheduling.js';
import type { CheckpointSkips } from './skipBatch.js';

const BATCH_SIZE = 5_000;
const LOCK_RETRY_MS = 2_000;
/** Namespace of the projections' advisory locks (the second key is the projection's name hashed). */
const PROJECTION_LOCKS = 20260;

/**
 * Runs one projection in this process while it holds the projection's advisory lock (one process
 * at a time; see AdvisoryLockSession). Reads the log in position order in batches, applies each
 * batch and its checkpoint in one transaction (RunnerSchedule says when), and stops (status FAILED)
 * on an event it cannot apply (poison.ts). When the serving tables were built by another version of
 * the projection, it first rebuilds them beside the serving ones and swaps them in (status
 * REBUILDING meanwhile). Emits `progress` (the new checkpoint) after each committed batch or swap,
 * and `rebuildProgress` (the shadow tables' position) while rebuilding.
 */
export class ProjectionRunner extends EventEmitter {
  private running = false;
  private readonly lock: AdvisoryLockSession;
  private readonly schedule = new RunnerSchedule();
  private loop?: Promise<void>;
  /** Where this runner's checkpoint stands, known while it holds the lock (re-read when in doubt). */
  private checkpoint?: { position: bigint; failed: boolean };
  /** The last batch had nothing for this projection. */
  private skippedLast = false;
  private rebuilding = false;

  constructor(
    readonly projection: Projection,
    private readonly services: {
      db: Database;
      eventStore: EventStore;
      logger: Logger;
      skips?: CheckpointSkips;
      /** Where the runner's reads go (the background lane), so that no request load starves them; default `db`. */
      lane?: Database;
    },
  ) {
    super();
    this.lock = new AdvisoryLockSession(services.db.connectionString, {
      namespace: PROJECTION_LOCKS,
      name: projection.name,
      // This session's batches commit without waiting for their WAL flush. Read tables are derived
      // data: checkpoint and rows commit together or not at all, so a database crash can only lose
      // the last few batches whole, and they are applied again from the log, which commits
      // synchronously as always. Saves a flush per batch.
      onConnect: (client) => client.query('SET synchronous_commit = off').then(() => undefined),
    });
  }

  private get lane(): Database {
    return this.services.lane ?? this.services.db;
  }

  /** True while this process holds the projection's lock. */
  get isActive(): boolean {
    return this.lock.isHeld;
  }

  /** True while this process rebuilds the projection's tables for its version. */
  get isRebuilding(): boolean {
    return this.rebuilding;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const unfollow = this.schedule.follow(this.services.eventStore.notifier);
    this.loop = this.run().finally(unfollow);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.schedule.wakeUp();
    await this.loop;
  }

  /** Wakes the loop now and re-reads the checkpoint (after an admin retry or skip). */
  poke(): void {
    this.checkpoint = undefined;
    this.schedule.wakeUp();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.holdLock())) {
          await this.schedule.standBy(LOCK_RETRY_MS);
          continue;
        }
        await this.schedule.pause(await this.step());
      } catch (err) {
        // Retrying while the disk is full keeps `/ready` at STORAGE_FULL for as long as it lasts.
        if (isStorageFull(err)) this.services.db.health.noteStorageFull();
        if (!(err instanceof RebuildStoppedError))
          this.services.logger.warn({ err, projection: this.projection.name }, 'projection step failed; retrying');
        await this.lock.release();
        if (this.running) await this.schedule.standBy(LOCK_RETRY_MS);
      }
    }
    await this.lock.release();
  }

  /**
   * One batch: `idle` when there was nothing to do, `caughtUp` when it reached the head, `more`
   * when more is known to be waiting (a full batch, or a checkpoint to re-read). Runs on every
   * commit, so it keeps its checkpoint in memory and learns the head from the schedule; it reads
   * them from the database only when in doubt.
   */
  private async step(): Promise<StepOutcome> {
    if (!this.checkpoint || this.checkpoint.failed) {
      const stored = await readCheckpoint(this.lane.prisma, this.projection.name);
      const settled = await settleVersion(this.projection, stored, {
        pool: this.services.db.pool,
        prisma: this.lane.prisma,
        eventStore: this.services.eventStore,
        logger: this.services.logger,
        shouldStop: () => !this.running,
        onProgress: (at) => this.emit('rebuildProgress', at),
        onSwappedIn: (position) => this.emit('progress', position),
        rebuilding: (on) => (this.rebuilding = on),
        standBy: async () => {
          await this.lock.release();
          await this.schedule.standBy(LOCK_RETRY_MS * 5);
        },
      });
      if (settled === 'rebuilt') this.schedule.forgetHead();
      if (settled !== 'current') return 'more';
      this.checkpoint = { position: stored.position, failed: stored.status === 'FAILED' };
    }
    if (this.checkpoint.failed) return 'idle';
    // Fixed for this step: notifications may raise the schedule's head while we read.
    const head = await this.schedule.headForStep(() => this.services.eventStore.headPosition(this.lane));
    const from = this.checkpoint.position;
    if (head <= from) return 'idle';
    // A projection that had nothing to apply last time (most commits are not its business) first
    // tries to skip to the head in one round trip, without reading the log.
    if (this.skippedLast && (await this.trySkip(from, head))) {
      this.checkpoint = { position: head, failed: false };
      return 'caughtUp';
    }
    const events = await this.services.eventStore.readAll(
      from,
      BATCH_SIZE,
      { types: [...this.projection.eventTypes], upTo: head },
      this.lane,
    );
    // A short batch means nothing else this projection handles exists up to the head.
    const next = events.length === BATCH_SIZE ? events.at(-1)!.position : head;
    this.skippedLast = events.length === 0;
    try {
      if (events.length === 0) await this.skipTo(from, next);
      else await this.applyBatch(from, events, next);
      this.checkpoint = { position: next, failed: false };
      return next < head ? 'more' : 'caughtUp';
    } catch (error) {
      this.checkpoint = undefined;
      if (error instanceof CheckpointMovedError) return 'more';
      // A lost database or a full disk is no fault of the events: retry the batch once it is back.
      if (isTransient(error)) throw error;
      await isolatePoisonEvent(from, events, error, {
        projection: this.projection.name,
        logger: this.services.logger,
        applyOne: (position, event) => this.applyBatch(position, [event], event.position),
        markFailed: (position, failure) => markFailed(this.lane.prisma, this.projection.name, position, failure),
      });
      return 'more';
    }
  }

  /** Moves the checkpoint over events this projection does not handle. */
  private async skipTo(from: bigint, to: bigint): Promise<void> {
    if (!(await this.trySkip(from, to))) throw new CheckpointMovedError();
  }

  /** Moves the checkpoint from `from` to `to` if nothing in between is for this projection (see skipCheckpoint). */
  private async trySkip(from: bigint, to: bigint): Promise<boolean> {
    const { name, eventTypes: types } = this.projection;
    const { skips } = this.services;
    const moved = skips
      ? await skips.skip(this.lock.session(), { name, types, from, to })
      : await skipCheckpoint(this.lock.session(), name, types, from, to);
    if (moved) this.emit('progress', to);
    return moved;
  }

  private async applyBatch(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    // The batch joins the trace of the mutation whose events it applies (linked to each of several).
    const attributes = {
      'ordersource.projection': this.projection.name,
      'ordersource.events': events.length,
      'ordersource.position': to.toString(),
    };
    await inSpan(
      `projection ${this.projection.name} batch`,
      attributes,
      () => this.applyBatchInTransaction(from, events, to),
      batchTraceContext(events.map((event) => event.metadata.trace)),
    );
    this.emit('progress', to);
  }

  private async applyBatchInTransaction(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
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

  private async holdLock(): Promise<boolean> {
    if (this.lock.isHeld) return true;
    if (!(await this.lock.tryAcquire())) return false;
    await ensureCheckpoint(this.lane.prisma, this.projection.name, this.projection.version);
    this.checkpoint = undefined;
    this.schedule.forgetHead();
    this.services.logger.info({ projection: this.projection.name }, 'running projection');
    return true;
  }
}
