-- ordersource_append answered every command with the list of its events (stream, version, type,
-- position), one JSON object per event, built here, sent and parsed again by the caller: about 6
-- microseconds an event, most of the cost of a batch of many events. The caller already knows each
-- event's stream, type and order, and one stream's events in one append take consecutive versions
-- and positions (positions are given under the position lock, in the order they are inserted).
-- So a caller may ask for each stream's first and last position instead
-- (`events_in_reply => false`); the list is still built for a command with an id, whose outcome is
-- stored for its repeats (the stored outcome is as before), and for a command whose stream's
-- positions were somehow not consecutive (the caller could not rebuild them).
--
-- A command's stored outcome is now found by one primary-key probe (see `stored` below).
--
-- The one-argument function that earlier releases call (during a rolling upgrade, with statements
-- prepared before this migration) keeps its identity and its reply: it now calls this one with the
-- list.
--
-- A replaced function loses the settings ALTER FUNCTION gave it, so JIT stays off in the
-- definition itself (see 20261207094500_functions_without_jit for why).
CREATE FUNCTION ordersource_append(commands jsonb, events_in_reply boolean) RETURNS jsonb
LANGUAGE plpgsql
SET jit = off
AS $$
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
    -- One primary-key probe per command. As a join, the planner (which guesses 100 commands for
    -- any batch) read the whole table for every append while it held fewer than about 100,000
    -- rows: 2.5 ms an append at 20,000. LIMIT keeps the subquery from being flattened into a join.
    SELECT cmd.ord, r.input_hash IS NOT DISTINCT FROM cmd.input_hash AS same_input, r.result
    FROM cmd CROSS JOIN LATERAL (
      SELECT c.input_hash, c.result FROM command_results c WHERE c.caller = cmd.caller AND c.command_id = cmd.command_id LIMIT 1
    ) r
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
  ), appended AS (
    -- Each stream's first and last position and its count, in one pass over what was inserted.
    SELECT i.stream_id, min(i.position) AS first_position, max(i.position) AS last_position, count(*) AS n
    FROM inserted i GROUP BY i.stream_id
  ), streams AS (
    SELECT a.ord,
           jsonb_agg(jsonb_build_object('streamId', a.stream_id, 'version', a.current_version + jsonb_array_length(a.events),
                                        'firstPosition', ap.first_position::text, 'lastPosition', ap.last_position::text) ORDER BY a.stream_ord) AS streams,
           max(ap.last_position) AS last_position,
           bool_and(ap.n IS NULL OR ap.last_position - ap.first_position + 1 = ap.n) AS consecutive
    FROM accepted a LEFT JOIN appended ap ON ap.stream_id = a.stream_id
    GROUP BY a.ord
  ), listed AS (
    -- Each command's events, for the commands whose reply or stored outcome lists them (a batch's
    -- streams are distinct, so a stream's events belong to one command).
    SELECT a.ord,
           jsonb_agg(jsonb_build_object('streamId', i.stream_id, 'version', i.version, 'type', i.type, 'position', i.position::text) ORDER BY i.position) AS events
    FROM inserted i JOIN accepted a ON a.stream_id = i.stream_id JOIN cmd ON cmd.ord = a.ord JOIN streams st ON st.ord = a.ord
    WHERE events_in_reply OR cmd.command_id IS NOT NULL OR NOT st.consecutive
    GROUP BY a.ord
  ), outcome AS (
    SELECT cmd.ord, jsonb_build_object(
      'lastPosition', coalesce(st.last_position, (SELECT position FROM head))::text,
      'streams', coalesce(st.streams, '[]'),
      'result', cmd.command->'result')
      || CASE WHEN events_in_reply OR cmd.command_id IS NOT NULL OR NOT coalesce(st.consecutive, true)
           THEN jsonb_build_object('events', coalesce(ls.events, '[]')) ELSE '{}' END AS outcome
    FROM cmd LEFT JOIN streams st ON st.ord = cmd.ord LEFT JOIN listed ls ON ls.ord = cmd.ord
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

-- What earlier releases call: the same append, its reply listing every event.
CREATE OR REPLACE FUNCTION ordersource_append(commands jsonb) RETURNS jsonb
LANGUAGE sql
SET jit = off
AS $$ SELECT ordersource_append(commands, true) $$;
