import type { Logger } from '../logger.js';
import type { DueWork } from '../scheduler/dueWorkLoop.js';
import type { DeliveredAttempt } from './deliveredRuns.js';
import type { ClaimedDelivery, DeliveryStore, DueTarget } from './deliveryStore.js';
import type { ReactionMetrics } from './reactionMetrics.js';
import type { AttemptResult, ReactionSender } from './reaction.js';
import { RunAttempts } from './runAttempts.js';
import { retryDelayMs } from './retrySchedule.js';

/** A claim outlives the attempts' own timeouts by this much before another process may take it over. */
const LEASE_MARGIN_MS = 5_000;
/**
 * Messages of one stream claimed and sent in a row (unless the sender says otherwise): one claim
 * and one record for several messages when a stream has a backlog. A stream's runs follow one
 * another (the next claim waits for the record), so these round trips bound a single stream's
 * rate: a backlog of one order went out at 1,000/s in runs of 25 and 1,500/s in runs of 100.
 * Longer runs cost nothing else: the lease is renewed as the run goes, and a failure gives the
 * rest back at once.
 */
const RUN_LENGTH = 100;
/**
 * A run sent in turn is leased for this many attempts' timeouts, renewed as it goes (whenever an
 * attempt's timeout has passed since the last renewal, so the lease never runs out under an
 * attempt): a process killed mid-run leaves its messages to others after at most this long.
 */
const LEASED_ATTEMPTS = 2;

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
  private readonly attempts: RunAttempts;
  private stopped = false;
  /** Rounds begun (each follows a wake-up: new deliveries, a redelivery, a settled attempt, a poll). */
  private rounds = 0;

  constructor(
    private readonly store: DeliveryStore,
    private readonly senders: ReadonlyMap<string, ReactionSender>,
    private readonly options: DispatchOptions,
    private readonly metrics: ReactionMetrics,
    private readonly logger: Logger,
    private readonly onSettled: () => void,
  ) {
    this.kinds = [...senders.keys()];
    this.attempts = new RunAttempts(options, metrics);
  }

  async runDue(): Promise<boolean> {
    this.rounds++;
    if (this.kinds.length === 0) return false;
    let started = false;
    for (const target of await this.store.dueTargets(this.kinds)) if (await this.refill(target)) started = true;
    return started;
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
   * a time (a refill asked for meanwhile runs after it), so slots are not counted twice. True when
   * it started a run (or another refill of the target was under way).
   */
  private async refill(target: DueTarget): Promise<boolean> {
    if (this.stopped) return false;
    if (this.refilling.has(target.id)) {
      this.refilling.set(target.id, true);
      return true;
    }
    let started = false;
    this.refilling.set(target.id, false);
    try {
      do {
        this.refilling.set(target.id, false);
        const sender = this.senders.get(target.kind);
        if (!sender) return started;
        const concurrency = sender.concurrency ?? this.options.concurrency;
        const free = concurrency - (this.inFlight.get(target.id) ?? 0);
        if (free <= 0) return started;
        const runLength = sender.runLength ?? RUN_LENGTH;
        const lease = this.leaseMs(sender);
        const runs = await this.store.claim(target.id, free, runLength, lease, concurrency);
        // Every free slot taken: other streams may be due still, to claim as slots free up.
        const after = { round: this.rounds, slotsFilled: runs.length >= free };
        for (const run of runs) this.launch(target, sender, run, after);
        if (runs.length > 0) started = true;
      } while (this.refilling.get(target.id));
    } finally {
      this.refilling.delete(target.id);
    }
    return started;
  }

  private launch(
    target: DueTarget,
    sender: ReactionSender,
    run: ClaimedDelivery[],
    claimed: { round: number; slotsFilled: boolean },
  ): void {
    this.inFlight.set(target.id, (this.inFlight.get(target.id) ?? 0) + 1);
    const attempt = this.attemptRun(target, sender, run).finally(() => {
      const left = (this.inFlight.get(target.id) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(target.id);
      else this.inFlight.set(target.id, left);
      this.running.delete(attempt);
      // The stream's next message (or another stream's) may be due now: claim it for this target
      // at once. The scheduler's next round is needed only once nothing is in flight (to learn the
      // next due time); until then each attempt that ends refills its own target. A short run of a
      // claim that left slots free, with nothing new since (no round began), left nothing due
      // behind it: no claim then, which spares a query per delivery when messages trickle in.
      if (run.length === (sender.runLength ?? RUN_LENGTH) || claimed.slotsFilled || this.rounds !== claimed.round)
        this.refill(target).catch((err: unknown) => this.logger.warn({ err, target: target.id }, 'could not claim due messages'));
      if (this.running.size === 0) this.onSettled();
    });
    this.running.add(attempt);
  }

  /**
   * Attempts a run's messages in order; at the first that is not delivered, gives the rest back.
   * Deliveries are recorded together when the run ends (or before its failure is): the run's lease
   * keeps its messages from anyone else meanwhile, and a process that dies before recording leaves
   * them to be sent again once the lease runs out (at least once, as always).
   */
  private async attemptRun(target: DueTarget, sender: ReactionSender, run: ClaimedDelivery[]): Promise<void> {
    const send = await this.attempts.sendOf(target, sender);
    const { outcomes, leaseLost } = sender.pipelined
      ? { outcomes: await this.attempts.atOnce(target, send, run), leaseLost: false }
      : await this.attempts.inTurn(target, send, run, { stopped: () => this.stopped, keep: this.leaseKeeper(target, sender) });
    const failedAt = outcomes.findIndex((o) => o.result.outcome !== 'delivered');
    const delivered = (failedAt < 0 ? outcomes : outcomes.slice(0, failedAt)).map(({ result, latencyMs }, i): DeliveredAttempt => ({
      id: run[i]!.id,
      statusCode: result.statusCode,
      latencyMs,
      responseBody: result.responseBody,
    }));
    // The successes first: the failure then starts the target's failing time, not a success after it.
    const lease = run[0]!.lease;
    await this.recordDelivered(target, lease, delivered);
    if (failedAt >= 0) {
      const failed = outcomes[failedAt]!;
      await this.recordFailure(target, run[failedAt]!, failed.result, failed.latencyMs);
      if (outcomes.slice(failedAt + 1).some((o) => o.result.outcome === 'delivered'))
        // Only a target that refuses one message and accepts the next does this (a limit per
        // subject, a size limit): what it accepted is sent again after the refused message, and
        // a target that drops repeats keeps the first copy, ahead of it.
        this.logger.warn(
          { target: target.id, delivery: run[failedAt]!.id.toString() },
          'a target accepted messages after refusing an earlier one of their stream',
        );
    }
    // Another process may have claimed what is left: it is theirs now.
    if (leaseLost) return;
    // Not attempted, or attempted after the failure: sent again after the failed message, in order.
    const rest = run.slice(failedAt < 0 ? outcomes.length : failedAt + 1).map((d) => d.id);
    await this.store
      .release(rest, lease)
      .catch((err: unknown) => this.logger.warn({ err, target: target.id }, 'could not release messages'));
  }

  /** A pipelined run's attempts all run at once: its lease is one attempt's; others are renewed as they go. */
  private leaseMs(sender: ReactionSender): number {
    return (sender.pipelined ? 1 : LEASED_ATTEMPTS) * sender.attemptTimeoutMs + LEASE_MARGIN_MS;
  }

  /** Renews the lease of a whole run (sent or not, nothing is recorded before it ends) whenever an attempt's timeout has passed since the last renewal. */
  private leaseKeeper(target: DueTarget, sender: ReactionSender): (run: readonly ClaimedDelivery[]) => Promise<boolean> {
    let leasedAt = performance.now();
    return async (run) => {
      if (performance.now() - leasedAt < sender.attemptTimeoutMs) return true;
      leasedAt = performance.now();
      try {
        return await this.store.renew(
          run.map((d) => d.id),
          run[0]!.lease,
          this.leaseMs(sender),
        );
      } catch (err) {
        this.logger.warn({ err, target: target.id }, 'could not renew the lease of a run');
        return false;
      }
    };
  }

  private async recordDelivered(target: DueTarget, lease: string, delivered: readonly DeliveredAttempt[]): Promise<void> {
    // Not recorded: the leases run out and the messages are attempted again (at least once).
    await this.store
      .recordDelivered(lease, delivered)
      .catch((err: unknown) => this.logger.warn({ err, target: target.id }, 'could not record delivered messages'));
  }

  /** Records an attempt that did not deliver: its retry, or its death, and the target's health. */
  private async recordFailure(target: DueTarget, delivery: ClaimedDelivery, result: AttemptResult, latencyMs: number): Promise<void> {
    const retryInMs = result.outcome === 'failed' ? retryDelayMs(this.options.retryScheduleMs, delivery.attempts) : undefined;
    try {
      const enabled = await this.store.record(
        delivery,
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
