-- Command ids are scoped by caller: `command_results` is keyed by (caller, command_id), where the
-- caller is the token's `role:sub` or `anonymous`, so two callers' equal command ids never meet.
--
-- Rows written by the previous release had no caller. Each is given the caller that ran it, read
-- from the `actor` its events recorded in their metadata (the pipeline writes the command id and
-- the actor there), so a retry by that caller still finds its first answer. A command that
-- appended no events (a repeated payment, say) left nothing to attribute it by: its row gets the
-- caller '' that no request has, and a retry of it decides again, which for such a no-op command
-- changes nothing.

ALTER TABLE "command_results" ADD COLUMN "caller" TEXT;

UPDATE "command_results" r SET "caller" = attributed.actor
FROM (
  SELECT DISTINCT ON (e.metadata->>'commandId') e.metadata->>'commandId' AS command_id, e.metadata->>'actor' AS actor
  FROM "events" e
  WHERE e.metadata->>'commandId' IN (SELECT "command_id" FROM "command_results")
  ORDER BY e.metadata->>'commandId', e.position
) attributed
WHERE attributed.command_id = r."command_id" AND attributed.actor IS NOT NULL;

UPDATE "command_results" SET "caller" = '' WHERE "caller" IS NULL;

ALTER TABLE "command_results" ALTER COLUMN "caller" SET NOT NULL,
DROP CONSTRAINT "command_results_pkey",
ADD CONSTRAINT "command_results_pkey" PRIMARY KEY ("caller", "command_id");

-- ordersource_append as before (see 20261123140000_append_function), with each command's `caller`
-- (a missing one is '') in its idempotency lookup and record.
CREATE OR REPLACE FUNCTION ordersource_append(commands jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  replies jsonb;
  last_position bigint;
BEGIN
  -- Per-stream locks, taken in one order so that batches from several processes cannot deadlock,
  -- make each version check and its insert atomic with respect to other batches.
  PERFORM pg_advisory_xact_lock(hashtextextended(ids.stream_id, 0))
    FROM (SELECT DISTINCT s->>'streamId' AS stream_id
          FROM jsonb_array_elements(commands) c, jsonb_array_elements(c->'streams') s ORDER BY 1) ids;
  -- The position lock (two-key form: its own key space, apart from the stream locks).
  PERFORM pg_advisory_xact_lock(20260, 1);

  WITH cmd AS (
    SELECT c.ord, c.value AS command, coalesce(c.value->>'caller', '') AS caller, c.value->>'commandId' AS command_id,
           c.value->>'inputHash' AS input_hash
    FROM jsonb_array_elements(commands) WITH ORDINALITY AS c(value, ord)
  ), stored AS (
    SELECT cmd.ord, r.input_hash IS NOT DISTINCT FROM cmd.input_hash AS same_input, r.result
    FROM cmd JOIN command_results r ON r.caller = cmd.caller AND r.command_id = cmd.command_id
  ), requested AS (
    SELECT cmd.ord, s.ord AS stream_ord, s.value->>'streamId' AS stream_id, s.value->>'streamType' AS stream_type,
           CASE WHEN jsonb_typeof(s.value->'expectedVersion') = 'number' THEN (s.value->>'expectedVersion')::int END AS expected,
           s.value->'events' AS events,
           (SELECT coalesce(max(e.version), 0) FROM events e WHERE e.stream_id = s.value->>'streamId') AS current_version
    FROM cmd CROSS JOIN LATERAL jsonb_array_elements(cmd.command->'streams') WITH ORDINALITY AS s(value, ord)
    WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.ord = cmd.ord)
  ), conflict AS (
    SELECT DISTINCT ON (ord) ord, stream_id, expected, current_version
    FROM requested WHERE expected IS NOT NULL AND expected <> current_version ORDER BY ord, stream_ord
  ), accepted AS (
    SELECT r.* FROM requested r WHERE NOT EXISTS (SELECT 1 FROM conflict c WHERE c.ord = r.ord)
  ), inserted AS (
    INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata)
    SELECT a.stream_id, a.stream_type, a.current_version + e.ord::int, e.value->>'type',
           coalesce((e.value->>'schemaVersion')::int, 1), e.value->'data', cmd.command->'metadata'
    FROM accepted a JOIN cmd ON cmd.ord = a.ord
    CROSS JOIN LATERAL jsonb_array_elements(a.events) WITH ORDINALITY AS e(value, ord)
    ORDER BY a.ord, a.stream_ord, e.ord
    RETURNING position, stream_id, version, type
  ), head AS (
    SELECT greatest((SELECT coalesce(max(position), 0) FROM events), (SELECT coalesce(max(position), 0) FROM inserted)) AS position
  ), outcome AS (
    SELECT cmd.ord, jsonb_build_object(
      'events', coalesce((SELECT jsonb_agg(jsonb_build_object('streamId', i.stream_id, 'version', i.version, 'type', i.type, 'position', i.position::text) ORDER BY i.position)
                          FROM inserted i JOIN accepted a ON a.stream_id = i.stream_id WHERE a.ord = cmd.ord), '[]'),
      'lastPosition', coalesce((SELECT max(i.position) FROM inserted i JOIN accepted a ON a.stream_id = i.stream_id WHERE a.ord = cmd.ord),
                               (SELECT position FROM head))::text,
      'streams', coalesce((SELECT jsonb_agg(jsonb_build_object('streamId', a.stream_id, 'version', a.current_version + jsonb_array_length(a.events)) ORDER BY a.stream_ord)
                           FROM accepted a WHERE a.ord = cmd.ord), '[]'),
      'result', cmd.command->'result') AS outcome
    FROM cmd
    WHERE NOT EXISTS (SELECT 1 FROM stored WHERE stored.ord = cmd.ord) AND NOT EXISTS (SELECT 1 FROM conflict c WHERE c.ord = cmd.ord)
  ), recorded AS (
    -- A command id that another process committed meanwhile makes this a unique violation: the
    -- batch rolls back and its commands run again, one by one, reading the stored outcome.
    INSERT INTO command_results (caller, command_id, input_hash, result)
    SELECT cmd.caller, cmd.command_id, cmd.input_hash, o.outcome FROM outcome o JOIN cmd ON cmd.ord = o.ord WHERE cmd.command_id IS NOT NULL
  )
  SELECT jsonb_agg(CASE
      WHEN s.ord IS NOT NULL AND s.same_input THEN jsonb_build_object('status', 'duplicate', 'outcome', s.result)
      WHEN s.ord IS NOT NULL THEN jsonb_build_object('status', 'key_reused', 'commandId', cmd.command_id)
      WHEN c.ord IS NOT NULL THEN jsonb_build_object('status', 'conflict', 'streamId', c.stream_id, 'expectedVersion', c.expected, 'actualVersion', c.current_version)
      ELSE jsonb_build_object('status', 'ok', 'outcome', o.outcome) END ORDER BY cmd.ord),
    (SELECT max(position) FROM inserted)
  INTO replies, last_position
  FROM cmd LEFT JOIN stored s ON s.ord = cmd.ord LEFT JOIN conflict c ON c.ord = cmd.ord LEFT JOIN outcome o ON o.ord = cmd.ord;

  IF last_position IS NOT NULL THEN
    PERFORM pg_notify('ordersource_events', last_position::text);
  END IF;
  RETURN replies;
END;
$$;
