import type { Logger } from '../logger.js';
import type { DueWork } from '../scheduler/dueWorkLoop.js';
import type { ClaimedDelivery, DeliveryStore, DueTarget } from './deliveryStore.js';
import type { ReactionMetrics } from './reactionMetrics.js';
import type { AttemptResult, ReactionSender } from './reaction.js';
import { retryDelayMs } from './retrySchedule.js';

/** A claim outlives the attempt's own timeout by this much before another process may take it over. */
const LEASE_MARGIN_MS = 5_000;

export interface DispatchOptions {
  retryScheduleMs: readonly number[];
  disableAfterMs: number;
  /** Streams of one target attempted at once. */
  concurrency: number;
}

/**
 * Claims the due messages of every enabled target and attempts each once, without waiting for one
 * target before the next: every target has its own `concurrency` slots, so a target that never
 * answers fills only its own slots (until its attempts time out) and holds back no other target.
 * Attempts run beside the scheduler's rounds; each one that settles records its outcome and wakes
 * the scheduler, which claims what became due.
 */
export class ReactionDispatcher implements DueWork {
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly kinds: string[];

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
    for (const target of await this.store.dueTargets(this.kinds)) {
      const free = this.options.concurrency - (this.inFlight.get(target.id) ?? 0);
      const sender = this.senders.get(target.kind);
      if (free <= 0 || !sender) continue;
      const claimed = await this.store.claim(target.id, free, sender.attemptTimeoutMs + LEASE_MARGIN_MS);
      for (const delivery of claimed) this.launch(target, sender, delivery);
    }
  }

  nextDueAt(): Promise<Date | undefined> {
    return this.kinds.length === 0 ? Promise.resolve(undefined) : this.store.nextDueAt(this.kinds);
  }

  /** Waits for the attempts in flight (on stop: their outcomes are recorded rather than left to their leases). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private launch(target: DueTarget, sender: ReactionSender, delivery: ClaimedDelivery): void {
    this.inFlight.set(target.id, (this.inFlight.get(target.id) ?? 0) + 1);
    const attempt = this.attempt(target, sender, delivery).finally(() => {
      const left = (this.inFlight.get(target.id) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(target.id);
      else this.inFlight.set(target.id, left);
      this.running.delete(attempt);
      this.onSettled();
    });
    this.running.add(attempt);
  }

  private async attempt(target: DueTarget, sender: ReactionSender, delivery: ClaimedDelivery): Promise<void> {
    const started = performance.now();
    let result: AttemptResult;
    try {
      result = await sender.send({
        deliveryId: delivery.id,
        targetId: target.id,
        eventId: delivery.eventId,
        attempt: delivery.attempts,
        body: delivery.message,
      });
    } catch (err) {
      result = { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
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
    } catch (err) {
      // Not recorded: the lease runs out and the message is attempted again (at least once).
      this.logger.warn({ err, target: target.id, delivery: delivery.id.toString() }, 'could not record a delivery attempt');
    }
  }
}
