import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';
import { isDatabaseUnavailable, type Database } from '../db/database.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { Logger } from '../logger.js';
import { batchTraceContext, inSpan } from '../observability/tracing.js';
import { advanceCheckpointAndCommit, beginAndLockCheckpoint, ensureCheckpoint, markFailed, readCheckpoint, skipCheckpoint } from './checkpoints.js';
import type { Projection } from './projection.js';

const BATCH_SIZE = 5_000;
const IDLE_POLL_MS = 1_000;
const LOCK_RETRY_MS = 2_000;
/** How long commits that keep coming may gather before the next batch (issue 7). */
const GATHER_MS = 10;

/**
 * Runs one projection in this process while it holds the projection's PostgreSQL advisory lock
 * (one process at a time; when the holder dies its session ends, the lock is released, and
 * another process's runner takes over within LOCK_RETRY_MS). Reads the log in position order in
 * batches, applies each batch and its checkpoint in one transaction, wakes on the commit
 * notification with a polling fallback, and stops (status FAILED) on an event it cannot apply.
 * Emits `progress` (the new checkpoint) after each committed batch.
 */
export class ProjectionRunner extends EventEmitter {
  private running = false;
  /**
   * The session that holds (or, on a standby, keeps trying for) the projection's lock, and on
   * which the holder applies its batches: its prepared statements stay planned, and the
   * projection takes no connection from the pool that serves commands and queries.
   */
  private lockSession?: pg.Client;
  private holdsLock = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  /** Where this runner's checkpoint stands, known while it holds the lock (re-read when in doubt). */
  private checkpoint?: { position: bigint; failed: boolean };
  /** The newest committed position this runner has heard of (commit notifications, or a head query). */
  private head = 0n;
  /** A commit was announced since the current step began. */
  private heardCommit = false;
  /** The last batch had nothing for this projection. */
  private skippedLast = false;
  /**
   * Whether `head` can be trusted: not at first, nor after the listener reconnected (commits
   * announced meanwhile were missed) or a quiet poll; then the head is read from the log.
   */
  private headKnown = false;

  constructor(
    readonly projection: Projection,
    private readonly services: { db: Database; eventStore: EventStore; logger: Logger },
  ) {
    super();
  }

  /** True while this process holds the projection's lock. */
  get isActive(): boolean {
    return this.holdsLock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const notifier = this.services.eventStore.notifier;
    const unsubscribe = notifier.onCommit((position) => {
      if (position > this.head) this.head = position;
      this.heardCommit = true;
      this.wake?.();
    });
    // Commits announced while the listener was down were missed: read the head from the log.
    const unsubscribeReconnect = notifier.onReconnect(() => {
      this.headKnown = false;
      this.wake?.();
    });
    this.loop = this.run().finally(() => {
      unsubscribe();
      unsubscribeReconnect();
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Wakes the loop now and re-reads the checkpoint (after an admin retry or skip). */
  poke(): void {
    this.checkpoint = undefined;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.holdLock())) {
          await this.sleep(LOCK_RETRY_MS);
          continue;
        }
        const step = await this.step();
        if (step === 'more') continue;
        // Commits arrived while that batch was applied: under load, let a few more gather into the
        // next batch (one transaction, one live-feed read) instead of one small batch per commit.
        // A lone commit is still applied at once.
        if (step === 'caughtUp' && this.heardCommit) await delay(GATHER_MS);
        // Caught up with every commit heard of: wait for the next one. The poll, when nothing
        // came, re-reads the head from the log in case a notification was lost.
        else if (!this.heardCommit && !(await this.sleep(IDLE_POLL_MS))) this.headKnown = false;
      } catch (err) {
        this.services.logger.warn({ err, projection: this.projection.name }, 'projection step failed; retrying');
        await this.releaseLock();
        await this.sleep(LOCK_RETRY_MS);
      }
    }
    await this.releaseLock();
  }

  /**
   * One batch: `idle` when there was nothing to do, `caughtUp` when it reached the head, `more`
   * when more is known to be waiting (a full batch, or a checkpoint to re-read). Runs on every
   * commit, so it keeps its checkpoint in memory and learns the head from the commit
   * notifications; it reads them from the database only when in doubt (after a takeover, an admin
   * action, a lost connection, a quiet poll).
   */
  private async step(): Promise<'idle' | 'caughtUp' | 'more'> {
    const { prisma } = this.services.db;
    this.heardCommit = false;
    if (!this.checkpoint || this.checkpoint.failed) {
      const stored = await readCheckpoint(prisma, this.projection.name);
      this.checkpoint = { position: stored.position, failed: stored.status === 'FAILED' };
    }
    if (this.checkpoint.failed) return 'idle';
    if (!this.headKnown) {
      this.headKnown = true;
      const stored = await this.services.eventStore.headPosition();
      if (stored > this.head) this.head = stored;
    }
    // Fixed for this step: notifications may raise `this.head` while we read.
    const head = this.head;
    const from = this.checkpoint.position;
    if (head <= from) return 'idle';
    // A projection that had nothing to apply last time (most commits are not its business) first
    // tries to skip to the head in one round trip, without reading the log.
    if (this.skippedLast && (await this.trySkip(from, head))) {
      this.checkpoint = { position: head, failed: false };
      return 'caughtUp';
    }
    const events = await this.services.eventStore.readAll(from, BATCH_SIZE, { types: [...this.projection.eventTypes], upTo: head });
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
      // A lost database is no fault of the events: retry the batch once it is back.
      if (isDatabaseUnavailable(error) || error instanceof SessionLostError) throw error;
      await this.isolateFailure(from, events, error);
      return 'more';
    }
  }

  /** Moves the checkpoint over events this projection does not handle. */
  private async skipTo(from: bigint, to: bigint): Promise<void> {
    if (!(await this.trySkip(from, to))) throw new CheckpointMovedError();
  }

  /** Moves the checkpoint from `from` to `to` if nothing in between is for this projection (see skipCheckpoint). */
  private async trySkip(from: bigint, to: bigint): Promise<boolean> {
    const moved = await skipCheckpoint(this.session(), this.projection.name, this.projection.eventTypes, from, to);
    if (moved) this.emit('progress', to);
    return moved;
  }

  private async applyBatch(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    // The batch joins the trace of the mutation whose events it applies (linked to each of several).
    const attributes = { 'ordersource.projection': this.projection.name, 'ordersource.events': events.length, 'ordersource.position': to.toString() };
    await inSpan(`projection ${this.projection.name} batch`, attributes, () => this.applyBatchInTransaction(from, events, to), batchTraceContext(events.map((event) => event.metadata.trace)));
    this.emit('progress', to);
  }

  private async applyBatchInTransaction(from: bigint, events: RecordedEvent[], to: bigint): Promise<void> {
    const tx = this.session();
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

  /** The lock-holding session (step runs only while the lock is held). */
  private session(): pg.Client {
    if (!this.lockSession) throw new SessionLostError(this.projection.name);
    return this.lockSession;
  }

  /**
   * A batch failed: apply its events one by one to commit everything before the poison event, then
   * record the failure on that event and stop this projection (the others keep running).
   */
  private async isolateFailure(from: bigint, events: RecordedEvent[], batchError: unknown): Promise<void> {
    let position = from;
    for (const event of events) {
      try {
        await this.applyBatch(position, [event], event.position);
        position = event.position;
      } catch (error) {
        // Another process took the projection over meanwhile: not ours to mark.
        if (error instanceof CheckpointMovedError) return;
        if (isDatabaseUnavailable(error) || error instanceof SessionLostError) throw error;
        await markFailed(this.services.db.prisma, this.projection.name, event.position, error);
        this.services.logger.error({ err: error, projection: this.projection.name, position: event.position.toString() }, 'projection stopped on an event it cannot apply');
        return;
      }
    }
    throw batchError; // every event applied alone: the failure was transient
  }

  private async holdLock(): Promise<boolean> {
    if (this.holdsLock) return true;
    if (!this.lockSession) {
      // Bounded connect and TCP keep-alive: during an outage the runner retries every
      // LOCK_RETRY_MS instead of hanging, and takes its lock again once the database is back.
      const client = new pg.Client({ connectionString: this.services.db.connectionString, connectionTimeoutMillis: 2_000, keepAlive: true });
      client.on('error', () => {});
      // The lock lives as long as this session: when it ends, so does our claim to the projection.
      client.on('end', () => {
        if (this.lockSession !== client) return;
        this.lockSession = undefined;
        this.holdsLock = false;
      });
      await client.connect();
      // This session's batches commit without waiting for their WAL flush. Read tables are derived
      // data: checkpoint and rows commit together or not at all, so a database crash can only
      // lose the last few batches whole, and they are applied again from the log, which commits
      // synchronously as always. Saves a flush per batch.
      await client.query('SET synchronous_commit = off');
      this.lockSession = client;
    }
    const { rows } = await this.lockSession.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(20260, hashtext($1)) AS locked', [this.projection.name]);
    if (!rows[0]!.locked) return false; // a standby keeps its session and tries again later
    this.holdsLock = true;
    await ensureCheckpoint(this.services.db.prisma, this.projection.name);
    this.checkpoint = undefined;
    this.headKnown = false;
    this.services.logger.info({ projection: this.projection.name }, 'running projection');
    return true;
  }

  private async releaseLock(): Promise<void> {
    const client = this.lockSession;
    this.lockSession = undefined;
    this.holdsLock = false;
    await client?.end().catch(() => {});
  }

  /** Resolves true when woken (a commit, a poke, a stop), false when the time ran out. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

class CheckpointMovedError extends Error {}

/** The lock's session ended (the lock with it): no fault of the events; retried once it is back. */
class SessionLostError extends Error {
  constructor(projection: string) {
    super(`projection ${projection} lost its database session`);
  }
}
