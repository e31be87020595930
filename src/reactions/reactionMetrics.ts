import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { withDeadline } from '../observability/projectionProgress.js';
import type { AttemptResult } from './reaction.js';

// From a receiver on the same machine (a millisecond) to one that times out (seconds).
const ATTEMPT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_TIMEOUT_MS = 2_000;

/** The reactions' metrics in the service's registry (`/metrics`), labelled by target kind and id. */
export class ReactionMetrics {
  private readonly deliveries: Counter<'kind' | 'target' | 'outcome'>;
  private readonly attemptSeconds: Histogram<'kind' | 'target'>;

  constructor(registry: Registry, lagByTarget: () => Promise<Map<string, { kind: string; lag: number }>>, logger: Logger) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'ordersource_reaction_attempts_total',
      help: 'Attempts this process made to deliver a message, by target kind, target and outcome: delivered, failed (retried), dead (schedule spent), gone (the target disabled itself).',
      labelNames: ['kind', 'target', 'outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'ordersource_reaction_attempt_duration_seconds',
      help: 'How long one attempt to deliver a message took, by target kind and target.',
      labelNames: ['kind', 'target'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'ordersource_reaction_lag_messages',
      help: 'Messages each target has not received yet (pending or awaiting a retry), read from the database at scrape time.',
      labelNames: ['kind', 'target'],
      registers,
      async collect() {
        const lags = await withDeadline(lagByTarget(), LAG_TIMEOUT_MS, 'the database').catch((err: unknown) => {
          logger.warn({ err }, 'metrics: could not read the reactions lag');
          return undefined;
        });
        if (!lags) return;
        this.reset();
        for (const [target, { kind, lag }] of lags) this.set({ kind, target }, lag);
      },
    });
  }

  /** Counts one attempt (`dead`: it failed and the schedule is spent) and its latency. */
  recordAttempt(kind: string, target: string, result: AttemptResult, dead: boolean, latencyMs: number): void {
    const outcome = result.outcome === 'failed' && dead ? 'dead' : result.outcome;
    this.deliveries.inc({ kind, target, outcome });
    this.attemptSeconds.observe({ kind, target }, latencyMs / 1_000);
  }
}
