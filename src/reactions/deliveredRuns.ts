/** One delivered attempt of a run, recorded with the run's others. */
export interface DeliveredAttempt {
  id: bigint;
  statusCode?: number;
  latencyMs: number;
  responseBody?: string;
}

/**
 * Records the delivered attempts of a run in one statement (instead of one statement per message:
 * a stream's backlog goes out one message after the other, and each round trip to the database
 * between two messages was most of its cost). Like a single record: only rows still held by the run's claim change,
 * each gets its attempt row, and a success clears its target's `failing_since`.
 */
export const RECORD_DELIVERED = `
  WITH r AS (
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[]) AS r(id, status_code, latency_ms, response_body)
  ), d AS (
    UPDATE reaction_deliveries d SET status = 'DELIVERED', locked_until = NULL, lease_id = NULL, next_attempt_at = now(), delivered_at = now()
    FROM r WHERE d.id = r.id AND d.lease_id = $5::uuid AND d.locked_until IS NOT NULL RETURNING d.id, d.target_id
  ), a AS (
    INSERT INTO reaction_attempts (delivery_id, status_code, latency_ms, response_body)
    SELECT r.id, r.status_code, r.latency_ms, r.response_body FROM r JOIN d ON d.id = r.id
  )
  UPDATE reaction_targets t SET failing_since = NULL
  WHERE t.id IN (SELECT target_id FROM d) AND t.failing_since IS NOT NULL`;

/** The statement's parameters, column by column. */
export function recordDeliveredValues(lease: string, attempts: readonly DeliveredAttempt[]): unknown[] {
  return [
    attempts.map((a) => a.id.toString()),
    attempts.map((a) => a.statusCode ?? null),
    attempts.map((a) => Math.round(a.latencyMs)),
    attempts.map((a) => a.responseBody ?? null),
    lease,
  ];
}
