import { randomUUID } from 'node:crypto';
import { runCommand } from '../commands/pipeline.js';
import { DomainError } from '../domain/errors.js';
import type { FeatureProcess, FeatureProcessFactory } from '../feature.js';
import type { DueItemSource, ItemOutcome } from '../scheduler/dueItems.js';
import { ExclusiveScheduler } from '../scheduler/exclusiveScheduler.js';
import type { Services } from '../services.js';
import { expireOrder } from './orderCommands.js';
import { dueAfter, expiryCommandId, PAYMENT_DEADLINES_ACTOR } from './paymentDeadline.js';
import { PaymentDeadlineMetrics } from './paymentDeadlineMetrics.js';
import { PAYMENT_DEADLINES_PROJECTION } from './paymentDeadlineProjection.js';

/**
 * How the deadlines are scheduled. Expiries in flight at once are few: each is one command, and
 * the pool serves requests too. An order just settled (expired, or found paid or cancelled) is
 * left out of the reads for a minute, until the deadlines projection has caught up with it; one
 * whose expiry keeps being refused (its stock cannot be released, say) ever longer, up to an hour.
 */
const SCHEDULE = {
  lockRetryMs: 1_000,
  pollMs: 5_000,
  batchSize: 200,
  concurrency: 8,
  retryAfterFailureMs: 1_000,
  afterRunMs: 60_000,
  maxMs: 3_600_000,
};
/**
 * How long after the deadlines projection moved (with no deadline pending) the timer looks for a
 * new one. Every commit moves that projection's checkpoint, most without a deadline: a burst of
 * commits costs one look instead of two statements per commit, and a new deadline, due a whole
 * timeout after its submission, is still found long before it falls due.
 */
const LOOK_AGAIN_MS = 250;

interface DueDeadline {
  orderId: string;
  dueAt: Date;
}

/**
 * Fires payment deadlines: one process at a time (see `ExclusiveScheduler`) sleeps until the
 * earliest pending deadline in `payment_deadlines`, then expires each order that is due through
 * the command pipeline, as the system, with one command id per order (a repeat, after a takeover
 * say, appends nothing). Deadlines that passed while no server ran are due at once when it starts.
 * A payment racing the expiry is settled by the order stream's optimistic concurrency: whichever
 * commits second is decided again on the new state and refused.
 */
export class PaymentDeadlineTimer implements FeatureProcess, DueItemSource<DueDeadline> {
  readonly name = 'paymentDeadlineTimer';
  private readonly scheduler: ExclusiveScheduler<DueDeadline>;
  private unfollow?: () => void;

  constructor(
    private readonly services: Services,
    private readonly metrics: PaymentDeadlineMetrics,
  ) {
    this.scheduler = new ExclusiveScheduler({
      ...SCHEDULE,
      name: this.name,
      connectionString: services.db.connectionString,
      source: this,
      logger: services.logger,
      onAcquired: () => services.logger.info({ timeoutSeconds: this.timeoutSeconds }, 'firing payment deadlines'),
    });
  }

  private get timeoutSeconds(): number {
    return this.services.config.paymentTimeoutSeconds;
  }

  /** True while this process fires the deadlines. */
  get isActive(): boolean {
    return this.scheduler.isActive;
  }

  /** How many times it has looked at the table for due deadlines (for tests). */
  get looks(): number {
    return this.scheduler.rounds;
  }

  start(): void {
    if (this.timeoutSeconds === 0) {
      this.services.logger.info('PAYMENT_TIMEOUT_SECONDS=0: payment deadlines are off; submitted orders never expire');
      return;
    }
    // A deadline scheduled while none was pending may be the earliest: look again. While one is
    // pending, every new one falls due after it; a standby has nothing to look at.
    this.unfollow = this.services.readSide.notifications.onProjectionProgress((name) => {
      if (name === PAYMENT_DEADLINES_PROJECTION && this.scheduler.isActive && !this.scheduler.hasPending) {
        this.scheduler.wakeUpWithin(Math.min(LOOK_AGAIN_MS, this.timeoutSeconds * 250));
      }
    });
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.unfollow?.();
    this.unfollow = undefined;
    await this.scheduler.stop();
  }

  async readDue(limit: number, skip: readonly string[]): Promise<DueDeadline[]> {
    const cutoff = new Date(Date.now() - this.timeoutSeconds * 1000);
    const { rows } = await this.scheduler.session().query<{ order_id: string; submitted_at: Date }>(
      `SELECT order_id, submitted_at FROM payment_deadlines
       WHERE pending AND submitted_at <= $1 AND order_id <> ALL($2::text[]) ORDER BY submitted_at LIMIT $3`,
      [cutoff, skip, limit],
    );
    return rows.map((r) => ({ orderId: r.order_id, dueAt: dueAfter(r.submitted_at, this.timeoutSeconds) }));
  }

  async nextDueAt(skip: readonly string[]): Promise<Date | undefined> {
    const { rows } = await this.scheduler
      .session()
      .query<{ submitted_at: Date }>(
        'SELECT submitted_at FROM payment_deadlines WHERE pending AND order_id <> ALL($1::text[]) ORDER BY submitted_at LIMIT 1',
        [skip],
      );
    return rows[0] ? dueAfter(rows[0].submitted_at, this.timeoutSeconds) : undefined;
  }

  keyOf(deadline: DueDeadline): string {
    return deadline.orderId;
  }

  async run({ orderId, dueAt }: DueDeadline): Promise<ItemOutcome> {
    const { services } = this;
    try {
      await runCommand(
        expireOrder,
        { orderId, commandId: expiryCommandId(orderId) },
        { auth: { actor: PAYMENT_DEADLINES_ACTOR }, services, requestId: randomUUID() },
      );
      this.metrics.recordFired('expired', (Date.now() - dueAt.getTime()) / 1000);
      return 'done';
    } catch (error) {
      // Paid or cancelled before the deadline fired (the projection has not seen it yet): the
      // payment won the race, and the order keeps its status.
      if (error instanceof DomainError && (error.code === 'INVALID_STATE' || error.code === 'NOT_FOUND')) {
        services.logger.debug({ orderId, reason: error.message }, 'payment deadline settled without expiring the order');
        this.metrics.recordFired('settled');
        return 'refused';
      }
      services.logger.warn({ err: error, orderId }, 'could not expire an order whose payment deadline passed; retrying');
      this.metrics.recordFired('error');
      return 'failed';
    }
  }

  afterPage(due: readonly DueDeadline[], outcomes: readonly ItemOutcome[]): void {
    const expired = outcomes.filter((o) => o === 'done').length;
    if (expired > 0) this.services.logger.info({ expired, due: due.length }, 'expired unpaid orders whose payment deadline passed');
  }
}

/** The orders feature's payment deadline timer, one per service. */
export const paymentDeadlineTimer: FeatureProcessFactory<Services> = {
  name: 'paymentDeadlineTimer',
  create: (services) =>
    new PaymentDeadlineTimer(services, new PaymentDeadlineMetrics(services.metrics.registry, services.db.pool, services.logger)),
};
