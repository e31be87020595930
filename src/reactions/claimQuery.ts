/**
 * Claims up to `$2` streams (this process's free slots), and no more than `$5` less the target's
 * streams in flight in any process (those with a leased message, this process's among them)
 * and, of each, a run of up to `$4` messages from its oldest undelivered one on, all due and
 * unleased: they are sent one after the other in log order by one process. Only a stream's oldest
 * undelivered message can start a run: that keeps one stream's messages in log order, and a failing
 * message holds back its own stream and no other. A stream with any message leased is in flight
 * and left alone, even when its oldest message is free (a dead letter redelivered ahead of a run
 * still going: it is sent once that run is recorded). The conditions are repeated on each locked
 * row, so that a row another process claimed meanwhile (re-read once that process commits) is left.
 * The streams with undelivered messages are found by a skip scan of a partial index (one probe per
 * stream), each head and run by a probe of its own, and leased messages by a partial index of their
 * own, so a claim costs in streams, not in backlog. Each claimed row carries the claim's token
 * (`$6`), which its records, renewals and give-backs must match.
 */
export const CLAIM = `
  WITH RECURSIVE streams AS (
    (SELECT stream_id FROM reaction_deliveries WHERE target_id = $1 AND status IN ('PENDING', 'FAILED') ORDER BY stream_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.stream_id FROM reaction_deliveries d WHERE d.target_id = $1 AND d.status IN ('PENDING', 'FAILED')
              AND d.stream_id > s.stream_id ORDER BY d.stream_id LIMIT 1)
    FROM streams s WHERE s.stream_id IS NOT NULL
  ), busy AS (
    SELECT count(DISTINCT stream_id)::int AS n FROM reaction_deliveries WHERE target_id = $1 AND locked_until > now()
  ), heads AS (
    SELECT h.stream_id, h.position, h.next_attempt_at FROM streams s CROSS JOIN LATERAL (
      SELECT d.stream_id, d.position, d.next_attempt_at FROM reaction_deliveries d
      WHERE d.target_id = $1 AND d.stream_id = s.stream_id AND d.status IN ('PENDING', 'FAILED') ORDER BY d.position LIMIT 1
    ) h
  ), chosen AS (
    SELECT h.stream_id FROM heads h
    -- A leased head is a leased message of the stream: the check below leaves it out too.
    WHERE h.next_attempt_at <= now()
      AND NOT EXISTS (SELECT 1 FROM reaction_deliveries l WHERE l.target_id = $1 AND l.stream_id = h.stream_id AND l.locked_until > now())
    ORDER BY h.position LIMIT greatest(0, least($2, $5 - (SELECT n FROM busy)))
  ), runs AS (
    SELECT r.id,
           bool_and(r.next_attempt_at <= now() AND (r.locked_until IS NULL OR r.locked_until <= now())) OVER w AS due
    FROM chosen c CROSS JOIN LATERAL (
      SELECT d.id, d.stream_id, d.position, d.next_attempt_at, d.locked_until FROM reaction_deliveries d
      WHERE d.target_id = $1 AND d.stream_id = c.stream_id AND d.status IN ('PENDING', 'FAILED') ORDER BY d.position LIMIT $4
    ) r
    WINDOW w AS (PARTITION BY r.stream_id ORDER BY r.position ROWS UNBOUNDED PRECEDING)
  ), due AS (
    SELECT d.id FROM reaction_deliveries d
    WHERE d.id IN (SELECT id FROM runs WHERE due)
      AND d.status IN ('PENDING', 'FAILED') AND d.next_attempt_at <= now() AND (d.locked_until IS NULL OR d.locked_until <= now())
    FOR UPDATE SKIP LOCKED
  )
  UPDATE reaction_deliveries d SET locked_until = now() + make_interval(secs => $3::float8 / 1000), attempts = d.attempts + 1, lease_id = $6::uuid
  FROM due WHERE d.id = due.id
  RETURNING d.id::text, d.stream_id, d.position::text, d.event_id, d.attempts, d.message, d.trace`;
