-- ordersource_append: appends a batch of commands' events in one statement (one round trip, one
-- transaction, one commit for the whole batch: group commit).
--
-- Input (jsonb array), one element per command:
--   { streams: [{ streamId, streamType, expectedVersion?, events: [{ type, data, schemaVersion? }] }],
--     metadata, commandId?, inputHash?, result? }
-- Output (jsonb array), one reply per command, in input order:
--   { status: 'ok' | 'duplicate', outcome } | { status: 'key_reused', commandId }
--   | { status: 'conflict', streamId, expectedVersion, actualVersion }
-- A rejected command writes nothing; the others in the batch are unaffected.
--
-- Why positions never become visible out of order: every batch takes one transaction-level
-- advisory lock before it draws positions from the sequence, and holds it until commit.
-- PostgreSQL makes a commit visible before it releases the transaction's locks, so a later
-- position cannot even be drawn until the earlier ones are visible (or rolled back). A reader that
-- has seen position P has therefore seen every committed position below P. The price is that
-- batches commit one at a time; batching concurrent commands into one commit wins it back.

-- One command, with its streams' locks and the position lock already held.
CREATE FUNCTION ordersource_append_command(command jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  idempotency_key text := command->>'commandId';
  request_hash text := command->>'inputHash';
  stored command_results%ROWTYPE;
  requested jsonb;
  current_version int;
  base_versions jsonb := '{}';
  outcome jsonb;
BEGIN
  IF idempotency_key IS NOT NULL THEN
    SELECT * INTO stored FROM command_results r WHERE r.command_id = idempotency_key;
    IF FOUND THEN
      IF stored.input_hash IS DISTINCT FROM request_hash THEN
        RETURN jsonb_build_object('status', 'key_reused', 'commandId', idempotency_key);
      END IF;
      RETURN jsonb_build_object('status', 'duplicate', 'outcome', stored.result);
    END IF;
  END IF;

  FOR requested IN SELECT * FROM jsonb_array_elements(command->'streams') LOOP
    SELECT coalesce(max(e.version), 0) INTO current_version FROM events e WHERE e.stream_id = requested->>'streamId';
    IF jsonb_typeof(requested->'expectedVersion') = 'number' AND (requested->>'expectedVersion')::int <> current_version THEN
      RETURN jsonb_build_object('status', 'conflict', 'streamId', requested->>'streamId',
        'expectedVersion', (requested->>'expectedVersion')::int, 'actualVersion', current_version);
    END IF;
    base_versions := base_versions || jsonb_build_object(requested->>'streamId', current_version);
  END LOOP;

  WITH input AS (
    SELECT s.value AS stream_input, s.ord AS stream_ord, e.value AS event_input, e.ord AS event_ord
    FROM jsonb_array_elements(command->'streams') WITH ORDINALITY AS s(value, ord)
    CROSS JOIN LATERAL jsonb_array_elements(s.value->'events') WITH ORDINALITY AS e(value, ord)
  ), inserted AS (
    INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata)
    SELECT stream_input->>'streamId', stream_input->>'streamType',
           (base_versions->>(stream_input->>'streamId'))::int + event_ord::int,
           event_input->>'type', coalesce((event_input->>'schemaVersion')::int, 1), event_input->'data', command->'metadata'
    FROM input ORDER BY stream_ord, event_ord
    RETURNING position, stream_id, version, type
  )
  SELECT jsonb_build_object(
    'events', coalesce(jsonb_agg(jsonb_build_object('streamId', i.stream_id, 'version', i.version, 'type', i.type,
                                                    'position', i.position::text) ORDER BY i.position), '[]'),
    'lastPosition', coalesce(max(i.position), (SELECT coalesce(max(e.position), 0) FROM events e))::text)
  INTO outcome FROM inserted i;

  outcome := outcome || jsonb_build_object(
    'streams', coalesce((SELECT jsonb_agg(jsonb_build_object('streamId', s->>'streamId',
                  'version', (base_versions->>(s->>'streamId'))::int + jsonb_array_length(s->'events')))
                FROM jsonb_array_elements(command->'streams') s), '[]'),
    'result', command->'result');

  IF idempotency_key IS NOT NULL THEN
    -- A concurrent append with the same id (from another batch) that committed first makes this a
    -- unique violation; the caller runs the command again and then reads that append's outcome.
    INSERT INTO command_results (command_id, input_hash, result) VALUES (idempotency_key, request_hash, outcome);
  END IF;
  RETURN jsonb_build_object('status', 'ok', 'outcome', outcome);
END;
$$;

CREATE FUNCTION ordersource_append(commands jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  replies jsonb := '[]';
  reply jsonb;
  command jsonb;
  last_position bigint := 0;
BEGIN
  -- Per-stream locks, taken in one order so that multi-stream appends cannot deadlock, make each
  -- version check and its insert atomic with respect to other batches touching the same streams.
  PERFORM pg_advisory_xact_lock(hashtextextended(ids.stream_id, 0))
    FROM (SELECT DISTINCT s->>'streamId' AS stream_id
          FROM jsonb_array_elements(commands) c, jsonb_array_elements(c->'streams') s ORDER BY 1) ids;
  -- The position lock (two-key form: its own key space, apart from the stream locks).
  PERFORM pg_advisory_xact_lock(20260, 1);

  FOR command IN SELECT * FROM jsonb_array_elements(commands) LOOP
    reply := ordersource_append_command(command);
    replies := replies || jsonb_build_array(reply);
    IF reply->>'status' = 'ok' AND reply->'outcome'->'events' <> '[]'::jsonb THEN
      last_position := (reply->'outcome'->>'lastPosition')::bigint;
    END IF;
  END LOOP;

  IF last_position > 0 THEN
    PERFORM pg_notify('ordersource_events', last_position::text);
  END IF;
  RETURN replies;
END;
$$;
