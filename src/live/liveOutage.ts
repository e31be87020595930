import type { Database } from '../db/database.js';
import { DatabaseGateClosedError } from '../db/health.js';
import type { Logger } from '../logger.js';

/**
 * How long the database may stay away before live subscriptions end with DATABASE_UNAVAILABLE. A
 * shorter outage (a freeze, a restart) only delays their changes: the feed reads what was
 * committed meanwhile once it is back. Longer, a client is better told, to resubscribe (with
 * `after` where the subscription has it) when the service is ready again, than left waiting.
 */
export const LIVE_OUTAGE_LIMIT_MS = 10_000;
const OUTAGE_CHECK_MS = 500;

/** Watches the health gate for the live feed and ends its subscriptions when the database stays away too long. */
export class LiveOutageWatch {
  private readonly failureListeners = new Set<(error: Error) => void>();
  private timer?: NodeJS.Timeout;
  /** When the database was last seen going away (undefined while it answers), and whether subscribers were told. */
  private outage?: { since: number; told: boolean };

  constructor(
    private readonly db: Pick<Database, 'health'>,
    private readonly logger: Logger,
  ) {}

  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  start(): void {
    this.timer = setInterval(() => this.checkOutage(), OUTAGE_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Ends every live subscription once the health gate has been closed for LIVE_OUTAGE_LIMIT_MS. */
  private checkOutage(): void {
    // The gate closed, whatever the reason (a disk full for a few seconds while PostgreSQL still
    // answers is no outage; a postmaster that cannot start for lack of space is one).
    const closed = this.db.health.closed();
    if (!closed) {
      this.outage = undefined;
      return;
    }
    const now = Date.now();
    this.outage ??= { since: now, told: false };
    if (this.outage.told || now - this.outage.since < LIVE_OUTAGE_LIMIT_MS) return;
    this.outage.told = true;
    const error = new DatabaseGateClosedError(
      `the database has been unavailable for over ${LIVE_OUTAGE_LIMIT_MS / 1000} s: subscribe again once the service is ready (with \`after\` where the subscription has it)`,
      closed.code,
    );
    this.logger.warn({ subscriptions: this.failureListeners.size }, 'ending live subscriptions: the database has been away too long');
    for (const listener of [...this.failureListeners]) listener(error);
  }
}
