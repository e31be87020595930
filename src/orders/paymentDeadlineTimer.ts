import { randomUUID } from 'node:crypto';
import { AdvisoryLockSession } from '../db/advisoryLockSession.js';
import { runCommand } from '../commands/pipeline.js';
import { DomainError } from '../domain/errors.js';
import type { FeatureProcess, FeatureProcessFactory } from '../feature.js';
import type { Services } from '../services.js';
import { expireOrder } from './orderCommands.js';
import { dueAfter, expiryCommandId, PAYMENT_DEADLINES_ACTOR } from './paymentDeadline.js';
import { PaymentDeadlineMetrics, type DeadlineOutcome } from './paymentDeadlineMetrics.js';
import { PAYMENT_DEADLINES_PROJECTION } from './paymentDeadlineProjection.js';

/** A standby tries for the lock this often, so it takes over within this long of the holder's death. */
const LOCK_RETRY_MS = 1_000;
/** The longest the timer sleeps without looking at the table (a safety net: it wakes at the earliest deadline). */
const SAFETY_POLL_MS = 5_000;
/** Deadlines read per query, and expiries in flight at once (each is one command; the pool serves requests too). */
const BATCH_SIZE = 200;
const CONCURRENCY = 8;
/** After a firing that failed for a reason other than the order's state (a lost database, say). */
const RETRY_AFTER_ERROR_MS = 1_000;
/**
 * How long an order this timer has just settled (expired, or found paid or cancelled) is left out
 * of its queries: until the deadlines projection has caught up with that order's latest event.
 */
const SETTLED_MEMORY_MS = 60_000;
/**
 * An order still pending after that and refused again is no race the projection will settle (its
 * stock, say, cannot be released): it is left alone twice as long after each refusal, up to this,
 * rather than expired again every minute (a whole backlog of such orders kept an idle server busy).
 */
const MAX_REFUSED_MEMORY_MS = 3_600_000;
/**
 * How long after the deadlines projection moved (with no deadline pending) the timer looks for a
 * new one. Every commit moves that projection's checkpoint, most without a deadline: a burst of
 * commits costs one look instead of two statements per commit, and a new deadline, due a whole
 * timeout after its submission, is still found long before it falls due.
 */
const LOOK_AGAIN_MS = 250;
/** Lock space of the deadline timer (the projection runners use 20260). */
const LOCK_CLASS = 20261;

interface DueDeadline {
  orderId: string;
  dueAt: Date;
}

/**
 * Fires payment deadlines: while it holds its advisory lock (one process at a time; a standby
 * takes over when the holder's session ends), it sleeps until the earliest pending deadline in
 * `payment_deadlines`, then expires each order that is due through the command pipeline, as the
 * system, with one command id per order (a repeat, after a takeover say, appends nothing).
 * Deadlines that passed while no server ran are due at once when it starts. A payment racing the
 * expiry is settled by the order stream's optimistic concurrency: whichever commits second is
 * decided again on the new state and refused.
 */
export class PaymentDeadlineTimer implements FeatureProcess {
  readonly name = 'paymentDeadlineTimer';
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly lock: AdvisoryLockSession;
  /** When the next deadline falls due, if any is pending (new ones only come later: the timeout is fixed). */
  private nextDueAt?: Date;
  /** Orders left out of the queries until `until`; `refusals`: their expiry refused that many times in a row. */
  private readonly settled = new Map<string, { until: number; refusals: number }>();
  private lookTimer?: NodeJS.Timeout;
  /** How many times it has looked at the table for due deadlines (for tests). */
  looks = 0;

  constructor(
    private readonly services: Services,
    private readonly metrics: PaymentDeadlineMetrics,
  ) {
    this.lock = new AdvisoryLockSession(services.db.connectionString, { namespace: LOCK_CLASS, name: this.name });
  }

  private get timeoutSeconds(): number {
    return this.services.config.paymentTimeoutSeconds;
  }

  /** True while this process holds the lock and fires deadlines. */
  get isActive(): boolean {
    return this.lock.isHeld;
  }

  start(): void {
    if (this.running) return;
    if (this.timeoutSeconds === 0) {
      this.services.logger.info('PAYMENT_TIMEOUT_SECONDS=0: payment deadlines are off; submitted orders never expire');
      return;
    }
    this.running = true;
    // A deadline scheduled while none was pending may be the earliest: look again. With one is
    // pending, every new one falls due after it.
    // A standby (another process holds the lock) has nothing to look at: it only tries for the lock
    // every LOCK_RETRY_MS, not on every move of the projection as well.
    const unsubscribe = this.services.readSide.notifications.onProjectionProgress((name) => {
      if (name === PAYMENT_DEADLINES_PROJECTION && !this.nextDueAt && this.lock.isHeld) this.lookSoon();
    });
    this.loop = this.run().finally(unsubscribe);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.lookTimer);
    this.lookTimer = undefined;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.holdLock())) {
          await this.sleep(LOCK_RETRY_MS);
          continue;
        }
        await this.sleep(await this.fireDue());
      } catch (err) {
        this.services.logger.warn({ err }, 'payment deadline timer failed; retrying');
        await this.releaseLock();
        await this.sleep(LOCK_RETRY_MS);
      }
    }
    await this.releaseLock();
  }

  /** Expires every order that is due; returns how long to sleep until the next deadline. */
  private async fireDue(): Promise<number> {
    this.looks++;
    let failed = false;
    for (;;) {
      const due = await this.readDue();
      if (due.length === 0) break;
      const outcomes = await inParallel(due, CONCURRENCY, (deadline) => this.fire(deadline));
      const expired = outcomes.filter((o) => o === 'expired').length;
      if (expired > 0) this.services.logger.info({ expired, due: due.length }, 'expired unpaid orders whose payment deadline passed');
      // Leave what failed for the retry below rather than reading it again at once.
      failed = outcomes.includes('error');
      if (failed || due.length < BATCH_SIZE) break;
    }
    this.nextDueAt = await this.readNextDue();
    const untilNext = this.nextDueAt ? Math.max(0, this.nextDueAt.getTime() - Date.now()) : SAFETY_POLL_MS;
    return Math.max(Math.min(untilNext, SAFETY_POLL_MS), failed ? RETRY_AFTER_ERROR_MS : 0);
  }

  private async fire({ orderId, dueAt }: DueDeadline): Promise<DeadlineOutcome> {
    const { services } = this;
    try {
      await runCommand(
        expireOrder,
        { orderId, commandId: expiryCommandId(orderId) },
        { auth: { actor: PAYMENT_DEADLINES_ACTOR }, services, requestId: randomUUID() },
      );
      this.metrics.recordFired('expired', (Date.now() - dueAt.getTime()) / 1000);
      this.remember(orderId, false);
      return 'expired';
    } catch (error) {
      // Paid or cancelled before the deadline fired (the projection has not seen it yet): the
      // payment won the race, and the order keeps its status.
      if (error instanceof DomainError && (error.code === 'INVALID_STATE' || error.code === 'NOT_FOUND')) {
        services.logger.debug({ orderId, reason: error.message }, 'payment deadline settled without expiring the order');
        this.metrics.recordFired('settled');
        const refusals = this.remember(orderId, true);
        if (refusals === 2) {
          services.logger.warn(
            { orderId, reason: error.message },
            'the expiry of an order whose payment deadline passed keeps being refused; trying less and less often',
          );
        }
        return 'settled';
      }
      services.logger.warn({ err: error, orderId }, 'could not expire an order whose payment deadline passed; retrying');
      this.metrics.recordFired('error');
      return 'error';
    }
  }

  /** The pending deadlines due now, earliest first (one page). */
  private async readDue(): Promise<DueDeadline[]> {
    const cutoff = new Date(Date.now() - this.timeoutSeconds * 1000);
    const { rows } = await this.lock.session().query<{ order_id: string; submitted_at: Date }>(
      `SELECT order_id, submitted_at FROM payment_deadlines
       WHERE pending AND submitted_at <= $1 AND order_id <> ALL($2::text[]) ORDER BY submitted_at LIMIT $3`,
      [cutoff, this.recentlySettled(), BATCH_SIZE],
    );
    return rows.map((r) => ({ orderId: r.order_id, dueAt: dueAfter(r.submitted_at, this.timeoutSeconds) }));
  }

  private async readNextDue(): Promise<Date | undefined> {
    const { rows } = await this.lock
      .session()
      .query<{ submitted_at: Date }>(
        'SELECT submitted_at FROM payment_deadlines WHERE pending AND order_id <> ALL($1::text[]) ORDER BY submitted_at LIMIT 1',
        [this.recentlySettled()],
      );
    return rows[0] ? dueAfter(rows[0].submitted_at, this.timeoutSeconds) : undefined;
  }

  /** Leaves `orderId` out of the queries for a while; returns how many times in a row its expiry was refused. */
  private remember(orderId: string, refused: boolean): number {
    const refusals = refused ? (this.settled.get(orderId)?.refusals ?? 0) + 1 : 0;
    const ms = Math.min(SETTLED_MEMORY_MS * 2 ** Math.max(0, refusals - 1), MAX_REFUSED_MEMORY_MS);
    this.settled.set(orderId, { until: Date.now() + ms, refusals });
    return refusals;
  }

  private recentlySettled(): string[] {
    const now = Date.now();
    const left: string[] = [];
    for (const [orderId, { until, refusals }] of this.settled) {
      if (until > now) left.push(orderId);
      // A refused order's count is kept a while after its pause, for the next refusal's longer one.
      else if (refusals === 0 || now - until > MAX_REFUSED_MEMORY_MS) this.settled.delete(orderId);
    }
    return left;
  }

  /** Wakes the loop a moment from now (once, however many ask meanwhile). */
  private lookSoon(): void {
    if (this.lookTimer) return;
    this.lookTimer = setTimeout(
      () => {
        this.lookTimer = undefined;
        this.wake?.();
      },
      Math.min(LOOK_AGAIN_MS, this.timeoutSeconds * 250),
    );
  }

  private async holdLock(): Promise<boolean> {
    if (this.lock.isHeld) return true;
    if (!(await this.lock.tryAcquire())) return false;
    this.settled.clear();
    this.services.logger.info({ timeoutSeconds: this.timeoutSeconds }, 'firing payment deadlines');
    return true;
  }

  private async releaseLock(): Promise<void> {
    this.nextDueAt = undefined;
    await this.lock.release();
  }

  /** Sleeps `ms` unless woken first (a new deadline, a stop). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** `work` on every item, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The orders feature's payment deadline timer, one per service. */
export const paymentDeadlineTimer: FeatureProcessFactory<Services> = {
  name: 'paymentDeadlineTimer',
  create: (services) =>
    new PaymentDeadlineTimer(services, new PaymentDeadlineMetrics(services.metrics.registry, services.db.pool, services.logger)),
};
