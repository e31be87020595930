import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { IntegrationMessage } from '../integrationEvents/integrationEvents.js';
import { RECORD_DELIVERED, recordDeliveredValues, type DeliveredAttempt } from './deliveredRuns.js';
import type { AttemptResult } from './reaction.js';
import { CLAIM } from './claimQuery.js';

/** PENDING: not yet attempted (or redelivered); FAILED: a retry is due at `nextAttemptAt`; then DELIVERED or DEAD. */
export type DeliveryStatus = 'PENDING' | 'FAILED' | 'DELIVERED' | 'DEAD';

/** A delivery claimed for one attempt by this process. */
export interface ClaimedDelivery {
  id: bigint;
  eventId: string;
  attempts: number;
  message: IntegrationMessage;
  /** The trace context of the command that appended the event (when it was traced). */
  trace: Record<string, string> | null;
  /** The claim's token: the delivery is recorded, renewed or given back only while it still carries it. */
  lease: string;
}

/** A target with messages due now. */
export interface DueTarget {
  id: string;
  kind: string;
}

/**
 * Records an attempt, moves the delivery on, and keeps the target's health in one statement: a
 * success clears `failing_since`; a failure starts it, and disables the target once it has failed
 * every attempt for `$8` ms; `gone` disables it at once. Only a row still held by the attempt's
 * claim (`$10`) changes: not one that another process claimed after this one's lease ran out, nor
 * one redelivered meanwhile. The token alone is not enough while processes of an earlier release
 * run: they neither set nor clear it, but they clear the lease when they record.
 */
const RECORD = `
  WITH d AS (
    UPDATE reaction_deliveries SET status = $2, locked_until = NULL, lease_id = NULL,
      next_attempt_at = now() + make_interval(secs => $3::float8 / 1000),
      delivered_at = CASE WHEN $2 = 'DELIVERED' THEN now() ELSE delivered_at END
    WHERE id = $1 AND lease_id = $10::uuid AND locked_until IS NOT NULL RETURNING id, target_id
  ), a AS (
    INSERT INTO reaction_attempts (delivery_id, status_code, latency_ms, error, response_body)
    SELECT id, $4, $5, $6, $7 FROM d
  )
  UPDATE reaction_targets t SET
    failing_since = CASE WHEN $9 = 'delivered' THEN NULL ELSE coalesce(t.failing_since, now()) END,
    enabled = CASE
      WHEN $9 = 'gone' THEN false
      WHEN $9 = 'failed' AND coalesce(t.failing_since, now()) <= now() - make_interval(secs => $8::float8 / 1000) THEN false
      ELSE t.enabled END,
    disabled_reason = CASE
      WHEN $9 = 'gone' THEN 'the target answered 410 Gone'
      WHEN $9 = 'failed' AND coalesce(t.failing_since, now()) <= now() - make_interval(secs => $8::float8 / 1000)
        THEN 'every attempt failed since ' || to_char(t.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      ELSE t.disabled_reason END
  FROM d WHERE t.id = d.target_id AND ($9 <> 'delivered' OR t.failing_since IS NOT NULL)
  RETURNING t.enabled`;

/** The reactions' deliveries in PostgreSQL: claims, outcomes, redeliveries. */
export class DeliveryStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Enabled targets of these kinds with a message due now. */
  async dueTargets(kinds: readonly string[]): Promise<DueTarget[]> {
    const { rows } = await this.pool.query<DueTarget>({
      name: 'reactions_due_targets',
      text: `SELECT t.id, t.kind FROM reaction_targets t WHERE t.enabled AND t.kind = ANY($1::text[]) AND EXISTS (
               SELECT 1 FROM reaction_deliveries d WHERE d.target_id = t.id AND d.status IN ('PENDING', 'FAILED')
                 AND d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until <= now()))`,
      values: [kinds],
    });
    return rows;
  }

  /** When the next message of an enabled target falls due (a retry, or a lease running out). */
  async nextDueAt(kinds: readonly string[]): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ at: Date | null }>({
      name: 'reactions_next_due',
      text: `SELECT min(greatest(d.next_attempt_at, coalesce(d.locked_until, d.next_attempt_at))) AS at
             FROM reaction_deliveries d JOIN reaction_targets t ON t.id = d.target_id
             WHERE t.enabled AND t.kind = ANY($1::text[]) AND d.status IN ('PENDING', 'FAILED')`,
      values: [kinds],
    });
    return rows[0]?.at ?? undefined;
  }

  /**
   * Claims runs of due messages (up to `runLength` each) of up to `slots` streams of a target, each
   * message leased for `leaseMs`, keeping the target's streams in flight (all processes) within
   * `concurrency`. Returns the runs, each in log order, all with the claim's token.
   */
  async claim(targetId: string, slots: number, runLength: number, leaseMs: number, concurrency: number): Promise<ClaimedDelivery[][]> {
    const lease = randomUUID();
    const { rows } = await this.pool.query<{
      id: string;
      stream_id: string;
      position: string;
      event_id: string;
      attempts: number;
      message: IntegrationMessage;
      trace: Record<string, string> | null;
    }>({
      name: 'reactions_claim',
      text: CLAIM,
      values: [targetId, slots, leaseMs, runLength, concurrency, lease],
    });
    const runs = new Map<string, { position: bigint; delivery: ClaimedDelivery }[]>();
    for (const r of rows) {
      const run = runs.get(r.stream_id) ?? [];
      run.push({
        position: BigInt(r.position),
        delivery: { id: BigInt(r.id), eventId: r.event_id, attempts: r.attempts, message: r.message, trace: r.trace, lease },
      });
      runs.set(r.stream_id, run);
    }
    return [...runs.values()].map((run) => run.sort((a, b) => (a.position < b.position ? -1 : 1)).map((m) => m.delivery));
  }

  /**
   * Extends the lease of messages claimed with `lease`; false when any was no longer held by that
   * claim (its lease ran out: another process may hold it, or take it any moment).
   */
  async renew(ids: readonly bigint[], lease: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'reactions_renew',
      text: `UPDATE reaction_deliveries SET locked_until = now() + make_interval(secs => $2::float8 / 1000)
             WHERE id = ANY($1::bigint[]) AND lease_id = $3::uuid AND locked_until > now()`,
      values: [ids.map(String), leaseMs, lease],
    });
    return rowCount === ids.length;
  }

  /** Gives back claimed messages not attempted after all (their run stopped at a failure before them). */
  async release(ids: readonly bigint[], lease: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE reaction_deliveries SET locked_until = NULL, lease_id = NULL, attempts = attempts - 1
       WHERE id = ANY($1::bigint[]) AND lease_id = $2::uuid AND locked_until IS NOT NULL`,
      [ids.map(String), lease],
    );
  }

  /**
   * Stores what an attempt ended with; `retryInMs` is when the next attempt is due (undefined when
   * the schedule is spent: the message is DEAD). Returns false when the attempt disabled its target.
   */
  async record(
    delivery: { id: bigint; lease: string },
    result: AttemptResult & { latencyMs: number },
    options: { retryInMs: number | undefined; disableAfterMs: number },
  ): Promise<boolean> {
    const status: DeliveryStatus =
      result.outcome === 'delivered'
        ? 'DELIVERED'
        : result.outcome === 'gone'
          ? 'FAILED'
          : options.retryInMs === undefined
            ? 'DEAD'
            : 'FAILED';
    // A message refused with 410 waits for its target to be enabled again, not for a retry time.
    const nextInMs = result.outcome === 'failed' ? (options.retryInMs ?? 0) : 0;
    const { rows } = await this.pool.query<{ enabled: boolean }>({
      name: 'reactions_record',
      text: RECORD,
      values: [
        delivery.id.toString(),
        status,
        nextInMs,
        result.statusCode ?? null,
        Math.round(result.latencyMs),
        result.error?.slice(0, 1_000) ?? null,
        result.responseBody ?? null,
        options.disableAfterMs,
        result.outcome,
        delivery.lease,
      ],
    });
    return rows[0]?.enabled ?? true;
  }

  /** Stores the delivered attempts of a run claimed with `lease` (one statement for all of them). */
  async recordDelivered(lease: string, attempts: readonly DeliveredAttempt[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.pool.query({ name: 'reactions_record_delivered', text: RECORD_DELIVERED, values: recordDeliveredValues(lease, attempts) });
  }

  /** Puts a delivery back to PENDING with a fresh schedule. False when it does not exist or is being attempted now. */
  async redeliver(id: bigint, targetIds?: readonly string[]): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE reaction_deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = now(), lease_id = NULL
       WHERE id = $1 AND ($2::uuid[] IS NULL OR target_id = ANY($2::uuid[])) AND (locked_until IS NULL OR locked_until <= now())`,
      [id.toString(), targetIds ?? null],
    );
    return rowCount === 1;
  }

  /** Puts every DEAD delivery of a target back to PENDING; returns how many. */
  async redeliverDead(targetId: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE reaction_deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = now(), lease_id = NULL
       WHERE target_id = $1 AND status = 'DEAD'`,
      [targetId],
    );
    return rowCount ?? 0;
  }

  /** Enables a target again; its messages resume where they stopped. */
  async enable(targetId: string): Promise<void> {
    await this.pool.query('UPDATE reaction_targets SET enabled = true, disabled_reason = NULL, failing_since = NULL WHERE id = $1', [
      targetId,
    ]);
  }

  /** Undelivered messages per target (the lag each target has to catch up). */
  async lagByTarget(targetIds?: readonly string[]): Promise<Map<string, { kind: string; lag: number }>> {
    const { rows } = await this.pool.query<{ id: string; kind: string; lag: number }>(
      `SELECT t.id, t.kind, count(d.id)::int AS lag FROM reaction_targets t
       LEFT JOIN reaction_deliveries d ON d.target_id = t.id AND d.status IN ('PENDING', 'FAILED')
       WHERE $1::uuid[] IS NULL OR t.id = ANY($1::uuid[]) GROUP BY t.id, t.kind`,
      [targetIds ?? null],
    );
    return new Map(rows.map((r) => [r.id, { kind: r.kind, lag: r.lag }]));
  }
}
