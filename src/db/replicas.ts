import pg from 'pg';
import { connectDatabase, type Database, type DatabaseOptions } from './database.js';
import {
  lsn,
  NO_POSITIONS,
  ReadReplica,
  replicaName,
  type ReadSource,
  type ReplayedPositionsQuery,
  type ReplicaStatus,
} from './readReplica.js';
import { PrimaryWalHistory } from './primaryWalHistory.js';
import { CommittedWalSender } from './committedWal.js';
import { ReplicaWaiters, type Settle } from './replicaWaiters.js';

export interface ReadReplicasOptions {
  /** A replica replaying more than this far behind the primary is skipped. */
  maxLagMs: number;
  /** Where each replica has replayed the read models to (default: nowhere known). */
  replayedPositions?: ReplayedPositionsQuery;
  /** Pool and heartbeat settings for each replica's pool (as for the primary's). */
  database?: DatabaseOptions;
  /** How often each replica is asked for its replay position and checkpoints (default 500 ms). */
  pollIntervalMs?: number;
  /**
   * How often at most while a read waits for a replica to reach a position (default 25 ms). After
   * {@link ReadReplicas.sendCommittedWal} the replicas are asked sooner: 1 ms later, then at
   * doubling intervals up to this one.
   */
  waitPollIntervalMs?: number;
  /** How long one poll may take before the replica counts as down (default 1 s). */
  pollTimeoutMs?: number;
}

/**
 * The read replicas of the primary (`READ_DATABASE_URLS`): a pool per replica, their health and
 * lag, and where each has replayed the read models to.
 *
 * One poll for all readers: every `pollIntervalMs` (every `waitPollIntervalMs` while a read waits
 * for a replica) the primary is asked how far its WAL is flushed (`PrimaryWalHistory`, which the
 * lags are judged by), and each replica how far it has replayed and where its copy of the read
 * side's positions stands (`replayedPositions`), in one statement. A replica that does not answer
 * within `pollTimeoutMs`, or whose pool's heartbeat fails, is down.
 *
 * A replica receives only WAL the primary has flushed, and the projections' batches commit
 * without waiting for their flush (the WAL writer flushes them up to 3 x `wal_writer_delay`, 200 ms
 * by default, later). A read waiting for a replica therefore has the primary flush its WAL once
 * the primary has applied the read's position (`sendCommittedWal`), and the replicas are then
 * asked again within milliseconds: the wait follows the replica's real replay time, and costs
 * nothing while nobody waits.
 */
export class ReadReplicas {
  readonly replicas: readonly ReadReplica[];
  private readonly waiters = new ReplicaWaiters();
  /** Recent readings of the primary's flushed WAL position, which replicas' lags are judged by. */
  private readonly primaryWal: PrimaryWalHistory;
  private readonly wal: CommittedWalSender;
  private next = 0;
  private timer?: NodeJS.Timeout;
  private timerDueAt = 0;
  private polling?: Promise<void>;
  private stopped = true;
  private readonly pollIntervalMs: number;
  private readonly waitPollIntervalMs: number;
  private readonly pollTimeoutMs: number;
  private readonly readListeners: ((source: ReadSource, reader: string) => void)[] = [];
  private readonly pollPools: pg.Pool[];
  /** The next delay between polls while reads wait (doubles each poll, reset by a flush). */
  private catchUpDelayMs: number;
  /** Polls of the replicas so far (for tests: none but the slow interval's while nobody waits). */
  polls = 0;

  constructor(
    private readonly primary: Database,
    urls: readonly string[],
    private readonly options: ReadReplicasOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.waitPollIntervalMs = options.waitPollIntervalMs ?? 25;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 1_000;
    this.catchUpDelayMs = this.waitPollIntervalMs;
    this.primaryWal = new PrimaryWalHistory(primary, { ...options, pollIntervalMs: this.pollIntervalMs, timeoutMs: this.pollTimeoutMs });
    this.wal = new CommittedWalSender(primary, this.pollTimeoutMs);
    const names = new Set<string>();
    this.replicas = urls.map((url, i) => {
      let name = replicaName(url);
      if (names.has(name)) name = `${name}#${i + 1}`;
      names.add(name);
      return new ReadReplica(name, connectDatabase(url, options.database), options.maxLagMs);
    });
    // Polls run on a connection of their own per replica, so a pool busy with reads cannot delay
    // the verdict, and a frozen replica fails its poll within the timeout.
    this.pollPools = urls.map(
      (connectionString) =>
        new pg.Pool({
          connectionString,
          max: 1,
          connectionTimeoutMillis: this.pollTimeoutMs,
          query_timeout: this.pollTimeoutMs,
          idleTimeoutMillis: 0,
        }),
    );
    for (const pool of this.pollPools) pool.on('error', () => {});
  }

  get configured(): boolean {
    return this.replicas.length > 0;
  }

  /** Polls once (so reads can use the replicas from the first request), then keeps polling. */
  async start(): Promise<void> {
    if (!this.configured || !this.stopped) return;
    this.stopped = false;
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    await this.wal.settled();
    this.waiters.releaseAll();
    await Promise.all(this.pollPools.map((pool) => pool.end().catch(() => {})));
    await Promise.all(this.replicas.map((replica) => replica.db.close()));
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => r.status());
  }

  /** Called with every read served (`reader`: what read, e.g. `query` or `live`). */
  onRead(listener: (source: ReadSource, reader: string) => void): void {
    this.readListeners.push(listener);
  }

  /** Counts one read served by `source`. */
  noteRead(source: ReadSource, reader: string): void {
    for (const listener of this.readListeners) listener(source, reader);
  }

  /** The next healthy replica (reads are spread over them in turn), or undefined when none is. */
  pick(): ReadReplica | undefined {
    return this.pickFrom(this.replicas.filter((r) => r.healthy));
  }

  /** The next healthy replica that has replayed `names` up to `position`, if any. */
  pickReached(names: readonly string[], position: bigint): ReadReplica | undefined {
    return this.pickFrom(this.replicas.filter((r) => r.healthy && r.reached(names, position)));
  }

  private pickFrom(candidates: ReadReplica[]): ReadReplica | undefined {
    if (candidates.length === 0) return undefined;
    return candidates[this.next++ % candidates.length];
  }

  /**
   * Resolves with a healthy replica (of `among`, default all) once one has replayed `names` up to
   * `position` (while anyone waits the replicas are polled, once for all waiters, every
   * `waitPollIntervalMs` and sooner after `sendCommittedWal`), or with undefined when `signal`
   * aborts or none of them is healthy any more.
   */
  waitForReached(
    names: readonly string[],
    position: bigint,
    signal: AbortSignal,
    among: readonly ReadReplica[] = this.replicas,
  ): Promise<ReadReplica | undefined> {
    const settled: Settle = () => {
      const healthy = among.filter((r) => r.healthy);
      if (healthy.length === 0) return undefined;
      return this.pickFrom(healthy.filter((r) => r.reached(names, position))) ?? false;
    };
    const now = settled();
    if (now !== false || signal.aborted) return Promise.resolve(now || undefined);
    const waiting = this.waiters.wait(settled, signal);
    // Poll soon rather than at the slow interval.
    this.schedule();
    return waiting;
  }

  /**
   * Makes every transaction the primary committed before this call reach the replicas now rather
   * than when its WAL writer next runs (see `CommittedWalSender`), and asks the replicas again soon:
   * for a read waiting on a replica once the primary has applied its position. Never rejects.
   */
  async sendCommittedWal(): Promise<void> {
    if (!this.configured || this.stopped) return;
    await this.wal.send();
    this.catchUpDelayMs = 1;
    this.schedule(true);
  }

  /** WAL flushes asked of the primary so far (for tests). */
  get walFlushes(): number {
    return this.wal.flushes;
  }

  /**
   * `soon`: the replicas may have replayed something a read waits for; poll after the short delay.
   * A poll for the service's life, paced by the reads waiting on it: no retry loop for p-retry.
   */
  private schedule(soon = false): void {
    if (this.stopped) return;
    // A poll in flight may have asked the replicas before the flush: the next one follows it.
    if (this.polling) return;
    if (soon && this.waiters.size === 0) return;
    const delay = this.waiters.size > 0 ? Math.min(this.catchUpDelayMs, this.waitPollIntervalMs) : this.pollIntervalMs;
    // Keep a poll due sooner: reads arriving faster than the interval must not keep putting it off.
    if (this.timer && this.timerDueAt <= performance.now() + delay) return;
    clearTimeout(this.timer);
    this.timerDueAt = performance.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private poll(): Promise<void> {
    this.polling ??= (async () => {
      this.polls++;
      // Backs off from a flush's 1 ms towards the wait interval (a flush during this poll resets it).
      this.catchUpDelayMs = Math.min(this.catchUpDelayMs * 2, this.waitPollIntervalMs);
      try {
        // The lag needs a reading of the primary about once an interval, not before every quick
        // poll of a wait.
        if (this.primaryWal.readingOlderThan(this.waitPollIntervalMs)) await this.primaryWal.sample();
        await Promise.all(this.replicas.map((replica, i) => this.pollReplica(replica, this.pollPools[i]!)));
        this.waiters.settle();
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async pollReplica(replica: ReadReplica, pool: pg.Pool): Promise<void> {
    try {
      const { rows } = await pool.query<{ lsn: string | null; positions: Record<string, string> }>(
        `SELECT pg_last_wal_replay_lsn()::text AS lsn, ${(this.options.replayedPositions ?? NO_POSITIONS).sql} AS positions`,
      );
      const row = rows[0]!;
      replica.record({ lagMs: this.primaryWal.lagOf(row.lsn === null ? undefined : lsn(row.lsn)), positions: row.positions });
    } catch (error) {
      replica.fail(error);
    }
  }
}
