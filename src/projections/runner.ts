import { EventEmitter } from 'node:events';
import { isStorageFull, type Database } from '../db/database.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Logger } from '../logger.js';
import { CheckpointMovedError, ensureCheckpoint, markFailed, readCheckpoint, setStatus, type Checkpoint } from './checkpoints.js';
import { AdvisoryLockSession } from '../db/advisoryLockSession.js';
import { ProjectionBatches } from './projectionBatches.js';
import { isolatePoisonEvent, isTransient } from './poison.js';
import type { Projection } from './projection.js';
import { RebuildStoppedError } from './rebuild.js';
import { rebuildForItsVersion } from './versionRebuild.js';
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
  private readonly batches: ProjectionBatches;
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
    this.batches = new ProjectionBatches(projection, this.lock, services.skips);
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
      if (await this.settleVersion(stored)) return 'more';
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

  /**
   * Brings the serving tables to this code's version of the projection: true when it did anything
   * (the caller re-reads the checkpoint). Tables of an older version are rebuilt beside the
   * serving ones and swapped in; a FAILED projection waits for an admin's retry first, so a
   * rebuild that fails is not repeated in a loop. Tables of a newer version are left to the newer
   * release (during a rolling upgrade): this process stands by rather than rebuild them back.
   */
  private async settleVersion(stored: Checkpoint): Promise<boolean> {
    const { prisma } = this.lane;
    const name = this.projection.name;
    if (stored.version === this.projection.version) {
      // A rebuild abandoned by a process that died: these tables are current, carry on.
      if (stored.status !== 'REBUILDING') return false;
      await setStatus(prisma, name, 'RUNNING');
      return true;
    }
    if (stored.version > this.projection.version) {
      this.services.logger.warn(
        { projection: name, stored: stored.version, mine: this.projection.version },
        'a newer release built this projection; standing by',
      );
      await this.lock.release();
      await this.schedule.standBy(LOCK_RETRY_MS * 5);
      return true;
    }
    if (stored.status === 'FAILED') return false;
    this.rebuilding = true;
    try {
      const position = await rebuildForItsVersion(this.projection, stored.version, {
        pool: this.services.db.pool,
        prisma,
        eventStore: this.services.eventStore,
        logger: this.services.logger,
        shouldStop: () => !this.running,
        onProgress: (at) => this.emit('rebuildProgress', at),
      });
      if (position !== undefined) this.emit('progress', position);
    } finally {
      this.rebuilding = false;
    }
    this.schedule.forgetHead();
    return true;
  }

  /** Moves the checkpoint over events this projection does not handle. */
  private async skipTo(from: bigint, to: bigint): Promise<void> {
    if (!(await this.trySkip(from, to))) throw new CheckpointMovedError();
  }

  /** Moves the checkpoint from `from` to `to` if nothing in between is for this projection (see skipCheckpoint). */
  private async trySkip(from: bigint, to: bigint): Promise<boolean> {
    const moved = await this.batches.trySkip(from, to);
    if (moved) this.emit('progress', to);
    return moved;
  }

  private async applyBatch(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    await this.batches.apply(from, events, to);
    this.emit('progress', to);
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
