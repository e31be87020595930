-- ordersource_load_streams: what every command loads, for several streams at once (in the order
-- given): the latest snapshot and the events after it, or, for a stream whose state at a version
-- the caller keeps in memory (`known_versions`, NULL otherwise), only the events after that version.
--
-- Why a function: as a prepared statement this query was planned again on every call (its generic
-- plan, costed for an array of unknown length, always looked dearer than a custom one), and the
-- planning cost four times the execution (issue 7). Here the plan is made once per connection and
-- reused; the snapshot lookup is a lateral subquery (OFFSET 0 keeps it one) so that the reused
-- plan is an index lookup per stream whatever the table statistics say.

CREATE FUNCTION ordersource_load_streams(stream_ids text[], known_versions int[])
RETURNS TABLE (snapshot_version int, snapshot_schema_version int, snapshot_state jsonb, stream_events json)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN QUERY
  SELECT s.version, s.schema_version, s.state,
    (SELECT coalesce(json_agg(json_build_object('position', e.position::text, 'streamType', e.stream_type, 'version', e.version,
              'type', e.type, 'schemaVersion', e.schema_version, 'data', e.data, 'metadata', e.metadata, 'recordedAt', e.recorded_at)
            ORDER BY e.version), '[]'::json)
       FROM events e WHERE e.stream_id = ids.stream_id AND e.version > coalesce(ids.known, s.version, 0))
  FROM unnest(stream_ids, known_versions) WITH ORDINALITY AS ids(stream_id, known, n)
  LEFT JOIN LATERAL (
    SELECT sn.version, sn.schema_version, sn.state FROM snapshots sn
    WHERE sn.stream_id = ids.stream_id AND ids.known IS NULL OFFSET 0
  ) s ON true
  ORDER BY ids.n;
END;
$$;
