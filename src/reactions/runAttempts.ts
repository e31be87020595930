import { cloudEventOf } from '../integrationEvents/integrationEvents.js';
import { batchTraceContext, inSpan } from '../observability/tracing.js';
import type { ClaimedDelivery, DueTarget } from './deliveryStore.js';
import type { ReactionMetrics } from './reactionMetrics.js';
import type { AttemptResult, ReactionMessage, ReactionSender } from './reaction.js';
import { retryDelayMs } from './retrySchedule.js';

/** One attempt of a run, measured and traced, not yet recorded. */
export interface Outcome {
  result: AttemptResult;
  latencyMs: number;
}

/** Sends one message of a run. */
export type SendOne = (message: ReactionMessage) => Promise<AttemptResult>;

/** The attempts of one claimed run: one after the other, or all at once for a pipelined sender. */
export class RunAttempts {
  constructor(
    private readonly options: { retryScheduleMs: readonly number[]; source: string },
    private readonly metrics: ReactionMetrics,
  ) {}

  /** How a run's messages are sent: what the sender needs from the target is read once per run. */
  async sendOf(target: DueTarget, sender: ReactionSender): Promise<SendOne> {
    if (!sender.forRun) return (message) => sender.send(message);
    try {
      return await sender.forRun(target.id);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return () => Promise.resolve({ outcome: 'failed', error });
    }
  }

  /**
   * One message after the other, each once the one before was delivered. Before each, `keep` may
   * renew the lease of the whole run: the messages already sent are recorded only when the run
   * ends, and until then their lease is what keeps another process from sending them again (and
   * from starting the stream anew behind this run). False (the lease was lost) ends the run there.
   */
  async inTurn(
    target: DueTarget,
    send: SendOne,
    run: readonly ClaimedDelivery[],
    go: { stopped: () => boolean; keep: (run: readonly ClaimedDelivery[]) => Promise<boolean> },
  ): Promise<{ outcomes: Outcome[]; leaseLost: boolean }> {
    const outcomes: Outcome[] = [];
    for (const delivery of run) {
      if (go.stopped()) break;
      if (!(await go.keep(run))) return { outcomes, leaseLost: true };
      const outcome = await this.attempt(target, send, delivery);
      outcomes.push(outcome);
      if (outcome.result.outcome !== 'delivered') break;
    }
    return { outcomes, leaseLost: false };
  }

  /**
   * Every message at once, started in log order: the sender keeps them in that order on the way,
   * and what its target stored when something failed is a prefix of them.
   */
  atOnce(target: DueTarget, send: SendOne, run: readonly ClaimedDelivery[]): Promise<Outcome[]> {
    return Promise.all(run.map((delivery) => this.attempt(target, send, delivery)));
  }

  /** One attempt, measured and traced (not yet recorded). Its sender is called before it first waits. */
  private async attempt(target: DueTarget, send: SendOne, delivery: ClaimedDelivery): Promise<Outcome> {
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
        const outcome = await this.send(target, send, delivery);
        span.setAttribute('ordersource.reaction.outcome', outcome.outcome);
        return outcome;
      },
      batchTraceContext([delivery.trace ?? undefined]),
    );
    const latencyMs = performance.now() - started;
    const retryInMs = result.outcome === 'failed' ? retryDelayMs(this.options.retryScheduleMs, delivery.attempts) : undefined;
    this.metrics.recordAttempt(target.kind, target.id, result, result.outcome === 'failed' && retryInMs === undefined, latencyMs);
    return { result, latencyMs };
  }

  private async send(target: DueTarget, send: SendOne, delivery: ClaimedDelivery): Promise<AttemptResult> {
    try {
      return await send({
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
}
