import type { PrismaClient } from '../generated/prisma/client.js';
import { ConsistencyTimeoutError } from '../domain/errors.js';
import type { CommitNotifier } from '../eventStore/notifications.js';

/** Something that announces committed projection batches: PostgreSQL's NOTIFY, Redis, a runner. */
export interface ProgressSignal {
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void;
  /** Signals sent while the source was disconnected were missed. */
  onReconnect?(listener: () => void): () => void;
}

interface Waiter {
  names: readonly string[];
  position: bigint;
  resolve(): void;
  timer: NodeJS.Timeout;
}

/**
 * Read-your-writes: waits until projections have reached a position.
 *
 * All waiters of the process share one picture of where each projection stands, fed by the
 * projections' progress signals (NOTIFY from any process, the runners in this process, Redis when
 * configured). A wait therefore holds no database connection: it is a timer and an entry in a set.
 * As a safety net for a missed signal, the checkpoints are re-read while anyone waits, at most once
 * per `refreshIntervalMs` and for all waiters together, so a thousand waiters cost one query an
 * interval, not a thousand.
 */
export class ReadModelConsistency {
  private readonly known = new Map<string, bigint>();
  private readonly waiters = new Set<Waiter>();
  private readonly progressListeners = new Set<(name: string, position: bigint) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private refreshing?: Promise<void>;
  private refreshTimer?: NodeJS.Timeout;
  private lastRefreshAt = 0;
  private headRead?: { startedAt: number; result: Promise<bigint> };

  constructor(
    private readonly prisma: PrismaClient,
    private readonly notifier: Pick<CommitNotifier, 'latest'>,
    progress: ProgressSignal,
    private readonly refreshIntervalMs = 250,
  ) {
    this.follow(progress);
  }

  /** Also learns progress from `source` (the runners of this process, Redis). */
  follow(source: ProgressSignal): void {
    source.onProjectionProgress((name, position) => this.record(name, position));
    // Signals were missed while it was away: the next refresh may not wait for the interval.
    source.onReconnect?.(() => {
      for (const listener of this.reconnectListeners) listener();
      this.lastRefreshAt = 0;
      if (this.waiters.size > 0) this.scheduleRefresh();
    });
  }

  /** The furthest position `name` is known to have applied (-1 before anything is heard of it). */
  positionOf(name: string): bigint {
    return this.known.get(name) ?? -1n;
  }

  /**
   * Calls `listener` each time this process learns that a projection moved on, from whichever
   * source heard it first (once per move, never backwards): for caches of read rows that must
   * forget what a batch changed.
   */
  onProgress(listener: (name: string, position: bigint) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  /** Calls `listener` when a progress source reconnects: progress signals may have been missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Whether every projection in `names` is known to have applied everything up to `position`. */
  reached(names: readonly string[], position: bigint): boolean {
    return names.every((n) => (this.known.get(n) ?? -1n) >= position);
  }

  /**
   * Resolves once every projection in `names` has applied everything up to `position`; throws
   * ConsistencyTimeoutError after `timeoutMs`.
   */
  async waitFor(names: readonly string[], position: bigint, timeoutMs: number): Promise<void> {
    if (this.reached(names, position)) return;
    // Nothing heard yet (a fresh process) or a signal missed: one shared read, never one per waiter.
    if (Date.now() - this.lastRefreshAt >= this.refreshIntervalMs) await this.refresh().catch(() => {});
    if (this.reached(names, position)) return;
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        names,
        position,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve();
        },
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const behind = names.filter((n) => (this.known.get(n) ?? -1n) < position);
          reject(
            new ConsistencyTimeoutError(`the read side (${behind.join(', ')}) did not reach position ${position} within ${timeoutMs} ms`),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
      this.scheduleRefresh();
    });
  }

  /**
   * Whether the log has reached `position`, from the commit notifications or else a read of the
   * head. The read is shared: callers join one that started after they asked (an older one may
   * predate their position's commit), so any number of callers keep at most one connection busy.
   */
  async logReaches(position: bigint): Promise<boolean> {
    if (this.notifier.latest >= position) return true;
    const askedAt = performance.now();
    for (;;) {
      const read = this.headRead;
      if (!read) break;
      const head = await read.result.catch(() => -1n);
      if (read.startedAt >= askedAt) return head >= position;
      if (this.headRead === read) this.headRead = undefined;
    }
    const read = { startedAt: performance.now(), result: this.readHead() };
    this.headRead = read;
    try {
      return (await read.result) >= position;
    } finally {
      if (this.headRead === read) this.headRead = undefined;
    }
  }

  private async readHead(): Promise<bigint> {
    const last = await this.prisma.event.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
    return last?.position ?? 0n;
  }

  /** How many waits are parked (for tests and metrics). */
  get waiting(): number {
    return this.waiters.size;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer || this.refreshing || this.waiters.size === 0) return;
    const delay = Math.max(0, this.lastRefreshAt + this.refreshIntervalMs - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh()
        .catch(() => {}) // the database away for a moment: the next interval tries again
        .finally(() => this.scheduleRefresh());
    }, delay);
    this.refreshTimer.unref();
  }

  /** Re-reads every checkpoint; concurrent callers share the one read in flight. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const rows = await this.prisma.projectionCheckpoint.findMany({ select: { name: true, position: true } });
        for (const row of rows) this.record(row.name, row.position);
      } finally {
        this.lastRefreshAt = Date.now();
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private record(name: string, position: bigint): void {
    if (position <= (this.known.get(name) ?? -1n)) return;
    this.known.set(name, position);
    for (const listener of this.progressListeners) listener(name, position);
    for (const waiter of this.waiters) if (this.reached(waiter.names, waiter.position)) waiter.resolve();
  }
}
