import DataLoader from 'dataloader';
import type { Database } from '../db/database.js';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError } from './errors.js';
import { GroupCommitter } from './groupCommit.js';
import { CommitNotifier } from './notifications.js';
import { OwnCommits } from './ownCommits.js';
import { headPosition, loadStreams, readAll, readStream, saveSnapshot, versionAt, type ReadAllOptions, type StreamLoad } from './read.js';
import { applyReadTransforms, type EventReadTransform } from './readTransforms.js';
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
  /** The features' read-path steps after upcasting (e.g. opening sealed personal data). */
  private readonly readTransforms: readonly EventReadTransform[];

  constructor(
    private readonly db: Database,
    onError?: (error: Error) => void,
    private readonly observeAppend?: AppendObserver,
    options: { stateCacheStreams?: number; upcasters?: EventUpcasters; readTransforms?: readonly EventReadTransform[] } = {},
  ) {
    this.upcasters = options.upcasters ?? new EventUpcasters();
    this.readTransforms = options.readTransforms ?? [];
    this.notifier = new CommitNotifier(db.connectionString, onError);
    this.committer = new GroupCommitter(db.pool);
    this.ownCommits = new OwnCommits(this.notifier, () => this.committer.settled());
    this.committer.onCommitted = (position) => this.ownCommits.claim(position);
    this.states = new StateCache(options.stateCacheStreams);
  }

  private readonly ownCommits: OwnCommits;

  /**
   * A mark of this moment for a state about to be read or appended (kept with it in `states`);
   * undefined when nothing can be trusted now. See {@link trusts}.
   */
  trustMark(): number | undefined {
    return this.ownCommits.mark();
  }

  /**
   * Whether every commit to the log since `mark` was this process's own, so that a state kept
   * with that mark is still its stream's current state and need not be loaded again.
   */
  trusts(mark: number | undefined): boolean {
    return this.ownCommits.trusts(mark);
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
    if (!observe) {
      return this.committer.append(request).then(this.forgetAppended, (error: unknown) => {
        this.forgetConflicting(error);
        throw error;
      });
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    return this.committer.append(request).then(
      (outcome) => {
        this.forgetAppended(outcome);
        observe(seconds(), outcome.duplicate ? 'duplicate' : 'ok');
        return outcome;
      },
      (error: unknown) => {
        this.forgetConflicting(error);
        observe(
          seconds(),
          error instanceof ConcurrencyError ? 'conflict' : error instanceof IdempotencyKeyReusedError ? 'key_reused' : 'error',
        );
        throw error;
      },
    );
  }

  /** A conflict means the kept state of that stream is not its current one: the retry must load it. */
  /**
   * The kept states of the streams just appended to are behind them now, yet this process's own
   * commit leaves them trusted: forget them (the command pipeline keeps the states its appends
   * lead to right after this).
   */
  private readonly forgetAppended = (outcome: AppendOutcome): AppendOutcome => {
    if (!outcome.duplicate) for (const stream of outcome.streams) this.states.delete(stream.streamId);
    return outcome;
  };

  private forgetConflicting(error: unknown): void {
    if (error instanceof ConcurrencyError) this.states.delete(error.streamId);
  }

  private stamp(request: AppendRequest): AppendRequest {
    if (!this.upcasters.any) return request;
    return { ...request, streams: request.streams.map((s) => ({ ...s, events: s.events.map((e) => this.upcasters.stamp(e)) })) };
  }

  /** Stored events as readers get them: upcast to the current shape, then through the features' read transforms. */
  private readonly readable = (events: RecordedEvent[]): Promise<RecordedEvent[]> =>
    applyReadTransforms(
      this.readTransforms,
      events.map((event) => this.upcasters.upcast(event)),
    );

  readStream(streamId: string, afterVersion = 0, upToVersion?: number): Promise<RecordedEvent[]> {
    return readStream(this.db.prisma, streamId, afterVersion, upToVersion).then(this.readable);
  }

  /** The version a stream had at `at` (0 when it had no event yet); see read.ts. */
  versionAt(streamId: string, at: Date): Promise<number> {
    return versionAt(this.db.prisma, streamId, at);
  }

  /** `on`: whose connections read (the projections' own lane; by default the store's pool). */
  readAll(after: bigint, limit?: number, options?: ReadAllOptions, on: Pick<Database, 'pool'> = this.db): Promise<RecordedEvent[]> {
    return readAll(on.pool, after, limit, options).then(this.readable);
  }

  headPosition(on: Pick<Database, 'prisma'> = this.db): Promise<bigint> {
    return headPosition(on.prisma);
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

  private readonly streamLoader = new DataLoader<StreamLoad, LoadedStream<unknown>>(
    async (loads) => {
      const streams = await loadStreams(this.db.pool, loads);
      // Every stream's events through the read path at once: one key lookup for the whole batch.
      const events = await this.readable(streams.flatMap((s) => s.events)).catch(() => undefined);
      // One unreadable event fails the load of its own stream only, not the others batched with it.
      if (!events)
        return Promise.all(
          streams.map((s) =>
            this.readable(s.events).then(
              (e) => ({ ...s, events: e }),
              (error: Error) => error,
            ),
          ),
        );
      let next = 0;
      return streams.map((s) => ({ ...s, events: events.slice(next, (next += s.events.length)) }));
    },
    { cache: false, maxBatchSize: 100 },
  );

  /** Folded states of recently used streams (see stateCache.ts); filled and used by loadAggregate and the command pipeline. */
  readonly states: StateCache;

  saveSnapshot<S>(snapshot: { streamId: string; streamType: string; version: number; state: S; schemaVersion?: number }) {
    return saveSnapshot(this.db.prisma, snapshot);
  }
}
