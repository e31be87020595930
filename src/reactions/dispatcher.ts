import { cloudEventOf } from '../integrationEvents/integrationEvents.js';
import type { Logger } from '../logger.js';
import { batchTraceContext, inSpan } from '../observability/tracing.js';
import type { DueWork } from '../scheduler/dueWorkLoop.js';
import type { ClaimedDelivery, DeliveryStore, DueTarget } from './deliveryStore.js';
import type { ReactionMetrics } from './reactionMetrics.js';
import type { AttemptResult, ReactionSender } from './reaction.js';
import { retryDelayMs } from './retrySchedule.js';

/** A claim outlives the attempts' own timeouts by this much before another process may take it over. */
const LEASE_MARGIN_MS = 5_000;
/**
 * Messages of one stream claimed and sent in a row: one claim for several messages when a stream
 * has a backlog. A run's lease covers all of its attempts, so a process killed mid-run leaves its
 * messages to others after at most this many timeouts.
 */
const RUN_LENGTH = 5;

export interface DispatchOptions {
  retryScheduleMs: readonly number[];
  disableAfterMs: number;
  /** Streams of one target attempted at once. */
  concurrency: number;
  /** The CloudEvents `source` of every message. */
  source: string;
}

/**
 * Claims the due messages of every enabled target and attempts them, without waiting for one
 * target before the next: every target has its own `concurrency` slots (one stream's run each), so
 * a target that never answers fills only its own slots (until its attempts time out) and holds back
 * no other target.
 * Attempts run beside the scheduler's rounds; each one that settles records its outcome and claims
 * what became due for its target.
 */
export class ReactionDispatcher implements DueWork {
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  /** Targets whose slots are being refilled now, and whether another refill was asked for meanwhile. */
  private readonly refilling = new Map<string, boolean>();
  private readonly kinds: string[];
  private stopped = false;

  constructor(
    private readonly store: DeliveryStore,
    private readonly senders: ReadonlyMap<string, ReactionSender>,
    private readonly options: DispatchOptions,
    private readonly metrics: ReactionMetrics,
    private readonly logger: Logger,
    private readonly onSettled: () => void,
  ) {
    this.kinds = [...senders.keys()];
  }

  async runDue(): Promise<void> {
    if (this.kinds.length === 0) return;
    for (const target of await this.store.dueTargets(this.kinds)) await this.refill(target);
  }

  nextDueAt(): Promise<Date | undefined> {
    // While attempts are in flight, each that ends refills its target's slots and wakes the
    // scheduler: no need to scan for the next due time (a query that grows with the backlog).
    if (this.kinds.length === 0 || this.running.size > 0) return Promise.resolve(undefined);
    return this.store.nextDueAt(this.kinds);
  }

  /** Claims nothing more (the service is stopping); attempts in flight still record their outcome. */
  stop(): void {
    this.stopped = true;
  }

  /** Waits for the attempts in flight (on stop: their outcomes are recorded rather than left to their leases). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /**
   * Claims due messages of one target for its free slots and starts them. One refill per target at
   * a time (a refill asked for meanwhile runs after it), so slots are not counted twice.
   */
  private async refill(target: DueTarget): Promise<void> {
    if (this.stopped) return;
    if (this.refilling.has(target.id)) {
      this.refilling.set(target.id, true);
      return;
    }
    this.refilling.set(target.id, false);
    try {
      do {
        this.refilling.set(target.id, false);
        const free = this.options.concurrency - (this.inFlight.get(target.id) ?? 0);
        const sender = this.senders.get(target.kind);
        if (free <= 0 || !sender) return;
        const runs = await this.store.claim(target.id, free, RUN_LENGTH, RUN_LENGTH * sender.attemptTimeoutMs + LEASE_MARGIN_MS);
        for (const run of runs) this.launch(target, sender, run);
      } while (this.refilling.get(target.id));
    } finally {
      this.refilling.delete(target.id);
    }
  }

  private launch(target: DueTarget, sender: ReactionSender, run: ClaimedDelivery[]): void {
    this.inFlight.set(target.id, (this.inFlight.get(target.id) ?? 0) + 1);
    const attempt = this.attemptRun(target, sender, run).finally(() => {
      const left = (this.inFlight.get(target.id) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(target.id);
      else this.inFlight.set(target.id, left);
      this.running.delete(attempt);
      // The stream's next message (or another stream's) may be due now: claim it for this target
      // at once. The scheduler's next round is needed only once nothing is in flight (to learn the
      // next due time); until then each attempt that ends refills its own target.
      this.refill(target).catch((err: unknown) => this.logger.warn({ err, target: target.id }, 'could not claim due messages'));
      if (this.running.size === 0) this.onSettled();
    });
    this.running.add(attempt);
  }

  /** Attempts a run's messages in order; at the first that is not delivered, gives the rest back. */
  private async attemptRun(target: DueTarget, sender: ReactionSender, run: ClaimedDelivery[]): Promise<void> {
    for (const [i, delivery] of run.entries()) {
      if (this.stopped || !(await this.attempt(target, sender, delivery))) {
        const rest = run.slice(this.stopped ? i : i + 1).map((d) => d.id);
        await this.store.release(rest).catch((err: unknown) => this.logger.warn({ err, target: target.id }, 'could not release messages'));
        return;
      }
    }
  }

  private async send(target: DueTarget, sender: ReactionSender, delivery: ClaimedDelivery): Promise<AttemptResult> {
    try {
      return await sender.send({
        deliveryId: delivery.id,
        targetId: target.id,
        eventId: delivery.eventId,
        attempt: delivery.attempts,
        body: cloudEventOf(delivery.message, this.options.source),
      });
    } catch (err) {
      return { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** One attempt, recorded; true when the message was delivered (and recorded so). */
  private async attempt(target: DueTarget, sender: ReactionSender, delivery: ClaimedDelivery): Promise<boolean> {
    const started = performance.now();
    // The attempt joins the trace of the command that appended the event.
    const attributes = {
      'ordersource.reaction.kind': target.kind,
      'ordersource.reaction.target': target.id,
      'ordersource.event': delivery.eventId,
    };
    const result = await inSpan(
      `reaction ${target.kind} attempt`,
      attributes,
      async (span) => {
        const outcome = await this.send(target, sender, delivery);
        span.setAttribute('ordersource.reaction.outcome', outcome.outcome);
        return outcome;
      },
      batchTraceContext([delivery.trace ?? undefined]),
    );
    const latencyMs = performance.now() - started;
    const retryInMs = result.outcome === 'failed' ? retryDelayMs(this.options.retryScheduleMs, delivery.attempts) : undefined;
    this.metrics.recordAttempt(target.kind, target.id, result, result.outcome === 'failed' && retryInMs === undefined, latencyMs);
    try {
      const enabled = await this.store.record(
        delivery.id,
        { ...result, latencyMs },
        { retryInMs, disableAfterMs: this.options.disableAfterMs },
      );
      if (!enabled) this.logger.warn({ target: target.id, kind: target.kind, result }, 'reaction target disabled');
      return result.outcome === 'delivered';
    } catch (err) {
      // Not recorded: the lease runs out and the message is attempted again (at least once).
      this.logger.warn({ err, target: target.id, delivery: delivery.id.toString() }, 'could not record a delivery attempt');
      return false;
    }
  }
}
