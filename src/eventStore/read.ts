import type pg from 'pg';
import type { Event as EventRow, PrismaClient } from '../generated/prisma/client.js';
import type { EventMetadata, LoadedStream, RecordedEvent } from './types.js';

/** Converts a Prisma row into the event store's event shape. */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    position: row.position,
    streamId: row.streamId,
    streamType: row.streamType,
    version: row.version,
    type: row.type,
    schemaVersion: row.schemaVersion,
    data: row.data as Record<string, unknown>,
    metadata: row.metadata as EventMetadata,
    recordedAt: row.recordedAt,
  };
}

/** The events of one stream with a version above `afterVersion` (and at most `upToVersion`), in version order. */
export async function readStream(prisma: PrismaClient, streamId: string, afterVersion = 0, upToVersion?: number): Promise<RecordedEvent[]> {
  const rows = await prisma.event.findMany({
    where: { streamId, version: upToVersion === undefined ? { gt: afterVersion } : { gt: afterVersion, lte: upToVersion } },
    orderBy: { version: 'asc' },
  });
  return rows.map(toRecordedEvent);
}

/**
 * Up to `limit` events after global position `after` (and at most `upTo`), in position order,
 * optionally of some types only. Because appends become visible in position order (see the append
 * function), reading on from the last position returned never skips an event. Projections read
 * the log through here in large batches, so it is one prepared `pg` statement, not the ORM.
 */
export async function readAll(pool: pg.Pool, after: bigint, limit = 1000, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
  if (options.metadata === 'occurredAt') return readAllForFolds(pool, after, limit, options);
  const { rows } = await pool.query<EventRowSql>({
    name: 'ordersource_read_all',
    // `events.position` in ORDER BY: the bare name would mean the text column of the select list.
    text: `SELECT position::text, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at FROM events
           WHERE position > $1 AND ($2::bigint IS NULL OR position <= $2) AND ($3::text[] IS NULL OR type = ANY($3))
           ORDER BY events.position LIMIT $4`,
    values: [after.toString(), options.upTo?.toString() ?? null, options.types ?? null, limit],
  });
  return rows.map((r) => ({
    position: BigInt(r.position),
    streamId: r.stream_id,
    streamType: r.stream_type,
    version: r.version,
    type: r.type,
    schemaVersion: r.schema_version,
    data: r.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at,
  }));
}

/**
 * The trace context kept in the metadata of the events at `positions` (those appended in a traced
 * request; others have none), so that what the events caused later joins the request's trace.
 */
export async function readTraceCarriers(pool: pg.Pool, positions: readonly bigint[]): Promise<Record<string, string>[]> {
  const { rows } = await pool.query<{ trace: Record<string, string> }>({
    name: 'ordersource_read_trace_carriers',
    text: `SELECT metadata->'trace' AS trace FROM events WHERE position = ANY($1::bigint[]) AND metadata ? 'trace'`,
    values: [positions.map(String)],
  });
  return rows.map((row) => row.trace);
}

export interface ReadAllOptions {
  /** Only events of these types. */
  types?: string[];
  /** Only events at or before this position. */
  upTo?: bigint;
  /**
   * `occurredAt`: the events' metadata holds only `occurredAt`, and `recordedAt` is read only for
   * events without one (the clock folds need, see occurredAtOf). For bulk reads by projections:
   * about twice as fast to receive as whole events.
   */
  metadata?: 'all' | 'occurredAt';
}

/** The recording time of events read for folds that have an occurredAt (one shared value: not read). */
const NOT_READ = new Date(0);

/** readAll with `metadata: 'occurredAt'`: rows as arrays, payloads parsed here, no other metadata. */
async function readAllForFolds(pool: pg.Pool, after: bigint, limit: number, options: ReadAllOptions): Promise<RecordedEvent[]> {
  const { rows } = await pool.query<[string, string, string, number, string, number, string, string | null, Date | null]>({
    name: 'ordersource_read_all_for_folds',
    rowMode: 'array',
    text: `SELECT position::text, stream_id, stream_type, version, type, schema_version, data::text, metadata->>'occurredAt',
                  CASE WHEN metadata->>'occurredAt' IS NULL THEN recorded_at END
           FROM events
           WHERE position > $1 AND ($2::bigint IS NULL OR position <= $2) AND ($3::text[] IS NULL OR type = ANY($3))
           ORDER BY events.position LIMIT $4`,
    values: [after.toString(), options.upTo?.toString() ?? null, options.types ?? null, limit],
  });
  return rows.map(([position, streamId, streamType, version, type, schemaVersion, data, occurredAt, recordedAt]) => ({
    position: BigInt(position),
    streamId,
    streamType,
    version,
    type,
    schemaVersion,
    data: JSON.parse(data) as Record<string, unknown>,
    metadata: occurredAt === null ? {} : { occurredAt },
    // Read only when there is no occurredAt (the only use folds make of it).
    recordedAt: recordedAt ?? NOT_READ,
  }));
}

interface EventRowSql {
  position: string;
  stream_id: string;
  stream_type: string;
  version: number;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recorded_at: Date;
}

/**
 * The version of the last event of a stream that happened at or before `at` (by the command's
 * clock, else when it was recorded); 0 when none did. One row back, however long the stream.
 */
export async function versionAt(prisma: PrismaClient, streamId: string, at: Date): Promise<number> {
  const rows = await prisma.$queryRaw<{ version: number | null }[]>`
    SELECT max(version) AS version FROM events
    WHERE stream_id = ${streamId} AND coalesce((metadata->>'occurredAt')::timestamptz, recorded_at) <= ${at}`;
  return rows[0]?.version ?? 0;
}

/** The newest position in the log (0 when empty). */
export async function headPosition(prisma: PrismaClient): Promise<bigint> {
  const last = await prisma.event.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
  return last?.position ?? 0n;
}

// Every command loads its aggregates this way, so it is one prepared statement and one round trip
// (snapshot and tail together, for several streams at once) rather than queries through the ORM.
// The query is the `ordersource_load_streams` database function, whose plan is made once per connection
// (prisma/migrations/*_load_streams_function).
const LOAD_STREAMS = { name: 'ordersource_load_streams', text: 'SELECT * FROM ordersource_load_streams($1::text[], $2::int[])' };

interface LoadStreamRow {
  snapshot_version: number | null;
  snapshot_schema_version: number | null;
  snapshot_state: unknown;
  stream_events: (Omit<RecordedEvent, 'position' | 'recordedAt' | 'streamId'> & { position: string; recordedAt: string })[];
}

/** A stream to load, and the version whose state the caller already has (if any). */
export interface StreamLoad {
  streamId: string;
  after?: number;
}

/**
 * For each stream, in the order given: its latest snapshot (if any) and every event after it; or,
 * for a stream loaded `after` a version, only the events after that version (no snapshot).
 */
export async function loadStreams<S>(pool: pg.Pool, loads: readonly StreamLoad[]): Promise<LoadedStream<S>[]> {
  const { rows } = await pool.query<LoadStreamRow>({
    ...LOAD_STREAMS,
    values: [loads.map((l) => l.streamId), loads.map((l) => l.after ?? null)],
  });
  return rows.map((row, i) => {
    const { streamId, after } = loads[i]!;
    const snapshot =
      row.snapshot_version === null
        ? undefined
        : { version: row.snapshot_version, schemaVersion: row.snapshot_schema_version!, state: row.snapshot_state as S };
    const events = row.stream_events.map((e) => ({ ...e, streamId, position: BigInt(e.position), recordedAt: new Date(e.recordedAt) }));
    return { snapshot, events, version: events.at(-1)?.version ?? snapshot?.version ?? after ?? 0 };
  });
}

/**
 * Stores the folded state of a stream at `version`, unless a newer snapshot is already there. A
 * snapshot of another state schema version is replaced whatever its version: loads ignore it.
 */
export async function saveSnapshot<S>(
  prisma: PrismaClient,
  snapshot: { streamId: string; streamType: string; version: number; state: S; schemaVersion?: number },
): Promise<void> {
  const { streamId, streamType, version, state, schemaVersion = 1 } = snapshot;
  // One statement, so concurrent savers of the same stream cannot step back to an older version.
  await prisma.$executeRaw`
    INSERT INTO snapshots (stream_id, stream_type, version, schema_version, state)
    VALUES (${streamId}, ${streamType}, ${version}, ${schemaVersion}, ${JSON.stringify(state)}::jsonb)
    ON CONFLICT (stream_id) DO UPDATE
      SET version = EXCLUDED.version, schema_version = EXCLUDED.schema_version, state = EXCLUDED.state, taken_at = now()
      WHERE snapshots.version < EXCLUDED.version OR snapshots.schema_version <> EXCLUDED.schema_version`;
}
