import pg from 'pg';
import { connectDatabase, type Database, type DatabaseOptions } from './database.js';

/** How a replica stands: `up` serves reads; `lagging` and `down` are skipped until they recover. */
export type ReplicaState = 'up' | 'lagging' | 'down';

/** One replica as `/ready` and `/metrics` report it. */
export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  /** How far its replay is behind the primary, in milliseconds (absent before its first answer). */
  lagMs?: number;
  /** Why it is down. */
  error?: string;
}

/** Where a read was served: a replica's name, or `primary`. */
export type ReadSource = string;
export const PRIMARY = 'primary';

/**
 * How a replica tells how far it has replayed what reads wait on: a scalar SQL expression that
 * evaluates to a JSON object `{ "name": "position" }`, asked in the same statement as the replay
 * position. The read side provides it (the projections' checkpoints); this folder knows no table
 * of theirs.
 */
export interface ReplayedPositionsQuery {
  readonly sql: string;
}

/** Without a query of the read side's: no position is known, so no `consistentWith` read goes to a replica. */
const NO_POSITIONS: ReplayedPositionsQuery = { sql: `'{}'::json` };

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

/** The name a replica is reported under: its host, port and database, never its credentials. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/** `X/Y` (a pg_lsn) as one number. */
function lsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** One streaming replica: its pool, and what the last poll learned. */
export class ReadReplica {
  lagMs?: number;
  error?: string;
  /** Each projection's checkpoint as the replica has replayed it (only ever moves forward). */
  private readonly positions = new Map<string, bigint>();
  private answered = false;

  constructor(
    readonly name: string,
    readonly db: Database,
    private readonly maxLagMs: number,
  ) {}

  get state(): ReplicaState {
    if (!this.answered || this.error !== undefined || this.db.health.trouble()) return 'down';
    return (this.lagMs ?? Infinity) > this.maxLagMs ? 'lagging' : 'up';
  }

  get healthy(): boolean {
    return this.state === 'up';
  }

  /** Whether the replica has replayed every projection in `names` up to `position`. */
  reached(names: readonly string[], position: bigint): boolean {
    return names.every((n) => (this.positions.get(n) ?? -1n) >= position);
  }

  status(): ReplicaStatus {
    const error = this.error ?? this.db.health.trouble()?.message;
    return { name: this.name, state: this.state, ...(this.lagMs === undefined ? {} : { lagMs: this.lagMs }), ...(error ? { error } : {}) };
  }

  /** @internal */
  record(answer: { lagMs: number; positions: Record<string, string> }): void {
    this.answered = true;
    this.error = undefined;
    this.lagMs = answer.lagMs;
    for (const [name, position] of Object.entries(answer.positions)) {
      const at = BigInt(position);
      if (at > (this.positions.get(name) ?? -1n)) this.positions.set(name, at);
    }
  }

  /** @internal */
  fail(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
  }
}

interface Waiter {
  /** The replica to serve the read, undefined when none can, false to keep waiting. */
  settled(): ReadReplica | undefined | false;
  resolve(replica: ReadReplica | undefined): void;
}

/**
 * The read replicas of the primary (`READ_DATABASE_URLS`): a pool per replica, their health and
 * lag, and where each has replayed the read models to.
 *
 * One poll for all readers: every `pollIntervalMs` (every `waitPollIntervalMs` while a read waits
 * for a replica) the primary is asked how far its WAL is flushed, and each replica how far it has
 * replayed and where its copy of the read side's positions stands (`replayedPositions`), in one statement. A replica's
 * lag is the age of the oldest primary WAL position it has not replayed yet: it grows when the
 * replica stops receiving (a stopped walreceiver cannot tell it is behind, the primary can) as
 * well as when it stops applying. A replica that does not answer within `pollTimeoutMs`, or whose
 * pool's heartbeat fails, is down.
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
  private readonly waiters = new Set<Waiter>();
  /** Recent `(time, flushed WAL position)` readings of the primary, oldest first. */
  private samples: { at: number; lsn: bigint }[] = [];
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
  /** The WAL flush in flight, and when it started (callers join one that started after they asked). */
  private flushing?: { startedAt: number; done: Promise<void> };
  /** The primary refused the flush (e.g. no permission): reads wait for its WAL writer instead. */
  private flushRefused = false;
  /** Polls of the replicas so far (for tests: none but the slow interval's while nobody waits). */
  polls = 0;
  /** WAL flushes asked of the primary so far (for tests). */
  walFlushes = 0;

  constructor(
    private readonly primary: Database,
    urls: readonly string[],
    private readonly options: ReadReplicasOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.waitPollIntervalMs = options.waitPollIntervalMs ?? 25;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 1_000;
    this.catchUpDelayMs = this.waitPollIntervalMs;
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
    await this.flushing?.done;
    for (const waiter of [...this.waiters]) waiter.resolve(undefined);
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
    const settled = (): ReadReplica | undefined | false => {
      const healthy = among.filter((r) => r.healthy);
      if (healthy.length === 0) return undefined;
      return this.pickFrom(healthy.filter((r) => r.reached(names, position))) ?? false;
    };
    const now = settled();
    if (now !== false || signal.aborted) return Promise.resolve(now || undefined);
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
      // Poll soon rather than at the slow interval.
      this.schedule();
    });
  }

  /**
   * Makes every transaction the primary committed before this call reach the replicas now rather
   * than when its WAL writer next runs, and asks the replicas again soon: for a read waiting on a
   * replica once the primary has applied its position. One flush for all callers: a caller joins
   * the flush in flight if it started after the call. Never rejects.
   */
  async sendCommittedWal(): Promise<void> {
    if (!this.configured || this.stopped) return;
    const since = performance.now();
    if (!this.flushRefused) {
      for (;;) {
        const current = this.flushing;
        if (!current) break;
        await current.done;
        if (current.startedAt >= since) return;
        if (this.flushing === current) this.flushing = undefined;
      }
      const flush = { startedAt: performance.now(), done: this.flushPrimaryWal() };
      this.flushing = flush;
      try {
        await flush.done;
      } finally {
        if (this.flushing === flush) this.flushing = undefined;
      }
    }
    this.catchUpDelayMs = 1;
    this.schedule(true);
  }

  /**
   * A transaction that writes a WAL record (a logical decoding message, which nothing here
   * decodes) and commits waiting for the local flush: the flush covers every record before it,
   * and the walsenders stream it at once. `local` rather than `on`: the flush is all replicas
   * need, a synchronous standby's acknowledgement is not.
   */
  private async flushPrimaryWal(): Promise<void> {
    this.walFlushes++;
    try {
      await withTimeout(
        this.primary.pool.query(
          "BEGIN; SET LOCAL synchronous_commit = local; SELECT pg_logical_emit_message(true, 'ordersource', 'flush'); COMMIT",
        ),
        this.pollTimeoutMs,
      );
    } catch (error) {
      // Without the privilege (or the function, on a server that lacks it) this never works: stop
      // asking. Anything else is the primary being away for a moment, and the next wait asks again.
      const code = (error as { code?: string }).code;
      if (code === '42501' || code === '42883') this.flushRefused = true;
    }
  }

  /** `soon`: the replicas may have replayed something a read waits for; poll after the short delay. */
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
        const last = this.samples.at(-1);
        if (!last || Date.now() - last.at >= this.waitPollIntervalMs) await this.samplePrimary();
        await Promise.all(this.replicas.map((replica, i) => this.pollReplica(replica, this.pollPools[i]!)));
        for (const waiter of [...this.waiters]) {
          const replica = waiter.settled();
          if (replica !== false) waiter.resolve(replica);
        }
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async samplePrimary(): Promise<void> {
    try {
      const { rows } = await withTimeout(
        this.primary.pool.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn'),
        this.pollTimeoutMs,
      );
      const now = Date.now();
      this.samples.push({ at: now, lsn: lsn(rows[0]!.lsn) });
      // Older readings only ever tell that a replica is more than the maximum lag behind.
      const keepFrom = now - this.options.maxLagMs - 2 * this.pollIntervalMs;
      while (this.samples.length > 1 && this.samples[1]!.at < keepFrom) this.samples.shift();
    } catch {
      // The primary is away: lags are judged on the readings there are.
    }
  }

  private async pollReplica(replica: ReadReplica, pool: pg.Pool): Promise<void> {
    try {
      const { rows } = await pool.query<{ lsn: string | null; positions: Record<string, string> }>(
        `SELECT pg_last_wal_replay_lsn()::text AS lsn, ${(this.options.replayedPositions ?? NO_POSITIONS).sql} AS positions`,
      );
      const row = rows[0]!;
      replica.record({ lagMs: this.lagOf(row.lsn === null ? undefined : lsn(row.lsn)), positions: row.positions });
    } catch (error) {
      replica.fail(error);
    }
  }

  /** The age of the oldest primary reading the replica has not replayed (0 when it has them all). */
  private lagOf(replayed: bigint | undefined): number {
    // Not in recovery (a primary named as a replica): it is as current as anything.
    if (replayed === undefined) return 0;
    const behind = this.samples.find((s) => s.lsn > replayed);
    return behind ? Date.now() - behind.at : 0;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
