import type { Database } from './database.js';
import { withTimeout } from './timeout.js';

/**
 * Makes every transaction the primary committed before a call reach its streaming replicas now
 * rather than when its WAL writer next runs: a replica receives only flushed WAL, and commits that
 * do not wait for their flush are flushed up to 3 x `wal_writer_delay` later. One flush for all
 * callers: a caller joins the flush in flight if it started after the call.
 */
export class CommittedWalSender {
  /** The flush in flight, and when it started. */
  private flushing?: { startedAt: number; done: Promise<void> };
  /** The primary refused the flush (e.g. no permission): reads wait for its WAL writer instead. */
  private refused = false;
  /** Flushes asked of the primary so far (for tests). */
  flushes = 0;

  constructor(
    private readonly primary: Database,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves once a flush that started after the call has finished (at once when the primary refuses them). Never rejects. */
  async send(): Promise<void> {
    if (this.refused) return;
    const since = performance.now();
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

  /** Resolves when no flush is in flight (for a stop). */
  async settled(): Promise<void> {
    await this.flushing?.done;
  }

  /**
   * A transaction that writes a WAL record (a logical decoding message, which nothing here
   * decodes) and commits waiting for the local flush: the flush covers every record before it,
   * and the walsenders stream it at once. `local` rather than `on`: the flush is all replicas
   * need, a synchronous standby's acknowledgement is not.
   */
  private async flushPrimaryWal(): Promise<void> {
    this.flushes++;
    try {
      await withTimeout(
        this.primary.pool.query(
          "BEGIN; SET LOCAL synchronous_commit = local; SELECT pg_logical_emit_message(true, 'ordersource', 'flush'); COMMIT",
        ),
        this.timeoutMs,
      );
    } catch (error) {
      // Without the privilege (or the function, on a server that lacks it) this never works: stop
      // asking. Anything else is the primary being away for a moment, and the next wait asks again.
      const code = (error as { code?: string }).code;
      if (code === '42501' || code === '42883') this.refused = true;
    }
  }
}
