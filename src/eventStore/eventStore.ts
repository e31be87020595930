import DataLoader from 'dataloader';
import type { Database } from '../db/database.js';
import { ConcurrencyError, IdempotencyKeyReusedError } from './errors.js';
import { GroupCommitter } from './groupCommit.js';
import { CommitNotifier } from './notifications.js';
import { headPosition, loadStreams, readAll, readStream, saveSnapshot, versionAt, type ReadAllOptions, type StreamLoad } from './read.js';
import { StateCache } from './stateCache.js';
import type { AppendOutcome, AppendRequest, LoadedStream, RecordedEvent } from './types.js';
import { EventUpcasters } from './upcasting.js';

/** How an append ended, for its latency metric. */
export type AppendResult = 'ok' | 'duplicate' | 'conflict' | 'key_reused' | 'error';

/** Told each append's latency in seconds (call to answer, group commit wait included). */
export type AppendObserver = (seconds: number, result: AppendResult) => void;

/**
 * The event store: the append-only log in PostgreSQL (`events`, defined in prisma/schema.prisma),
 * idempotency records, snapshots and the commit notification. Every event read through it comes
 * out in its type's current shape (the upcasters it is given), and every event appended is stamped
 * with its type's current schema version.
 */
export class EventStore {
  readonly notifier: CommitNotifier;
  private readonly committer: GroupCommitter;
  /** Current schema versions and the upcasters to them (the features', given by createServices). */
  readonly upcasters: EventUpcasters;

  constructor(
    private readonly db: Database,
    onError?: (error: Error) => void,
    private readonly observeAppend?: AppendObserver,
    options: { stateCacheStreams?: number; upcasters?: EventUpcasters } = {},
  ) {
    this.upcasters = options.upcasters ?? new EventUpcasters();
    this.notifier = new CommitNotifier(db.connectionString, onError);
    this.committer = new GroupCommitter(db.pool);
    this.states = new StateCache(options.stateCacheStreams);
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
  append(unstamped: AppendRequest): Promise<AppendOutcome> {
    const request = this.stamp(unstamped);
    const observe = this.observeAppend;
    if (!observe) return this.committer.append(request);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    return this.committer.append(request).then(
      (outcome) => {
        observe(seconds(), outcome.duplicate ? 'duplicate' : 'ok');
        return outcome;
      },
      (error: unknown) => {
        observe(seconds(), error instanceof ConcurrencyError ? 'conflict' : error instanceof IdempotencyKeyReusedError ? 'key_reused' : 'error');
        throw error;
      },
    );
  }

  private stamp(request: AppendRequest): AppendRequest {
    if (!this.upcasters.any) return request;
    return { ...request, streams: request.streams.map((s) => ({ ...s, events: s.events.map((e) => this.upcasters.stamp(e)) })) };
  }

  private readonly upcast = (event: RecordedEvent): RecordedEvent => this.upcasters.upcast(event);

  readStream(streamId: string, afterVersion = 0, upToVersion?: number): Promise<RecordedEvent[]> {
    return readStream(this.db.prisma, streamId, afterVersion, upToVersion).then((events) => events.map(this.upcast));
  }

  /** The version a stream had at `at` (0 when it had no event yet); see read.ts. */
  versionAt(streamId: string, at: Date): Promise<number> {
    return versionAt(this.db.prisma, streamId, at);
  }

  readAll(after: bigint, limit?: number, options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return readAll(this.db.pool, after, limit, options).then((events) => events.map(this.upcast));
  }

  headPosition(): Promise<bigint> {
    return headPosition(this.db.prisma);
  }

  /**
   * The latest snapshot and the events after it; with `after` (a version whose state the caller
   * has), only the events after that. Loads asked for in the same tick (the order and product of
   * one command, and other requests' loads) go to the database as one statement: a round trip per
   * command saved, as group commit does for appends. Never cached: each load reads the stream as
   * it is now.
   */
  loadStream<S>(streamId: string, after?: number): Promise<LoadedStream<S>> {
    return this.streamLoader.load({ streamId, after }) as Promise<LoadedStream<S>>;
  }

  private readonly streamLoader = new DataLoader<StreamLoad, LoadedStream<unknown>>((loads) =>
      loadStreams(this.db.pool, loads).then((streams) => streams.map((s) => ({ ...s, events: s.events.map(this.upcast) }))),
    { cache: false, maxBatchSize: 100 });

  /** Folded states of recently used streams (see stateCache.ts); filled and used by loadAggregate and the command pipeline. */
  readonly states: StateCache;

  saveSnapshot<S>(snapshot: { streamId: string; streamType: string; version: number; state: S; schemaVersion?: number }) {
    return saveSnapshot(this.db.prisma, snapshot);
  }
}
