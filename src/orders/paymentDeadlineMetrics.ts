import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { withDeadline } from '../observability/projectionProgress.js';

/** What firing one deadline ended with. */
export type DeadlineOutcome = 'expired' | 'settled' | 'error';

// From "on time" (the timer's own wake-up and one command, tens of milliseconds) to the minutes
// an overdue backlog takes after a long downtime.
const LATENESS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600];
const PENDING_TIMEOUT_MS = 2_000;

/** The payment deadline metrics, in the service's registry (`/metrics`). */
export class PaymentDeadlineMetrics {
  private readonly fired: Counter<'outcome'>;
  private readonly lateness: Histogram;

  constructor(registry: Registry, pool: pg.Pool, logger: Logger) {
    const registers = [registry];
    new Gauge({
      name: 'ordersource_payment_deadlines_pending',
      help: 'Submitted orders whose payment deadline is scheduled and not yet ended (paid, cancelled or expired), read from the database at scrape time.',
      registers,
      async collect() {
        const count = pool.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_deadlines WHERE pending').then((r) => r.rows[0]!.n);
        const n = await withDeadline(count, PENDING_TIMEOUT_MS, 'the database').catch((err: unknown) => {
          logger.warn({ err }, 'metrics: could not count pending payment deadlines');
          return undefined;
        });
        if (n !== undefined) this.set(n);
      },
    });
    this.fired = new Counter({
      name: 'ordersource_payment_deadlines_fired_total',
      help: 'Payment deadlines this process fired, by outcome: expired (the order expired), settled (it was paid or cancelled first), error (to be retried).',
      labelNames: ['outcome'],
      registers,
    });
    this.lateness = new Histogram({
      name: 'ordersource_payment_deadline_lateness_seconds',
      help: 'From a payment deadline until the order expired (its expiry committed), for the deadlines this process fired.',
      buckets: LATENESS_BUCKETS,
      registers,
    });
  }

  /** Counts one firing; an expiry also records how late it came. */
  recordFired(outcome: DeadlineOutcome, latenessSeconds?: number): void {
    this.fired.inc({ outcome });
    if (outcome === 'expired' && latenessSeconds !== undefined) this.lateness.observe(Math.max(0, latenessSeconds));
  }
}
