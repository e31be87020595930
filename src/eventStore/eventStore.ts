import type { Database } from '../db/database.js';
import { GroupCommitter } from './groupCommit.js';
import { CommitNotifier } from './notifications.js';
import { headPosition, loadStream, readAll, readStream, saveSnapshot } from './read.js';
import type { AppendOutcome, AppendRequest, LoadedStream, RecordedEvent } from './types.js';

/**
 * The event store: the append-only log in PostgreSQL (`events`, defined in prisma/schema.prisma),
 * idempotency records, snapshots and the commit notification.
 */
export class EventStore {
  readonly notifier: CommitNotifier;
  private readonly committer: GroupCommitter;

  constructor(
    private readonly db: Database,
    onError?: (error: Error) => void,
  ) {
    this.notifier = new CommitNotifier(db.connectionString, onError);
    this.committer = new GroupCommitter(db.pool);
  }

  /** Starts listening for commits (needed only by readers that wait). */
  start(): Promise<void> {
    return this.notifier.start();
  }

  stop(): Promise<void> {
    return this.notifier.stop();
  }

  /**
   * Appends events to one or more streams atomically (see `appendToStreams`); concurrent calls
   * share commits through the {@link GroupCommitter}.
   */
  append(request: AppendRequest): Promise<AppendOutcome> {
    return this.committer.append(request);
  }

  readStream(streamId: string, afterVersion = 0): Promise<RecordedEvent[]> {
    return readStream(this.db.prisma, streamId, afterVersion);
  }

  readAll(after: bigint, limit?: number, options?: { types?: string[]; upTo?: bigint }): Promise<RecordedEvent[]> {
    return readAll(this.db.pool, after, limit, options);
  }

  headPosition(): Promise<bigint> {
    return headPosition(this.db.prisma);
  }

  loadStream<S>(streamId: string): Promise<LoadedStream<S>> {
    return loadStream<S>(this.db.pool, streamId);
  }

  saveSnapshot<S>(snapshot: { streamId: string; streamType: string; version: number; state: S; schemaVersion?: number }) {
    return saveSnapshot(this.db.prisma, snapshot);
  }
}
