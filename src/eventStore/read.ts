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

/** The events of one stream with a version above `afterVersion`, in version order. */
export async function readStream(prisma: PrismaClient, streamId: string, afterVersion = 0): Promise<RecordedEvent[]> {
  const rows = await prisma.event.findMany({
    where: { streamId, version: { gt: afterVersion } },
    orderBy: { version: 'asc' },
  });
  return rows.map(toRecordedEvent);
}

/**
 * Up to `limit` events after global position `after`, in position order. Because appends become
 * visible in position order (see the append function), reading on from the last position returned
 * never skips an event.
 */
export async function readAll(
  prisma: PrismaClient,
  after: bigint,
  limit = 1000,
  options: { types?: string[] } = {},
): Promise<RecordedEvent[]> {
  const rows = await prisma.event.findMany({
    where: { position: { gt: after }, ...(options.types ? { type: { in: options.types } } : {}) },
    orderBy: { position: 'asc' },
    take: limit,
  });
  return rows.map(toRecordedEvent);
}

/** The newest position in the log (0 when empty). */
export async function headPosition(prisma: PrismaClient): Promise<bigint> {
  const last = await prisma.event.findFirst({ orderBy: { position: 'desc' }, select: { position: true } });
  return last?.position ?? 0n;
}

/** The latest snapshot of a stream (if any) and every event after it. */
export async function loadStream<S>(prisma: PrismaClient, streamId: string): Promise<LoadedStream<S>> {
  const row = await prisma.snapshot.findUnique({ where: { streamId } });
  const snapshot = row ? { version: row.version, schemaVersion: row.schemaVersion, state: row.state as S } : undefined;
  const events = await readStream(prisma, streamId, snapshot?.version ?? 0);
  return { snapshot, events, version: events.at(-1)?.version ?? snapshot?.version ?? 0 };
}

/** Stores the folded state of a stream at `version`, unless a newer snapshot is already there. */
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
      WHERE snapshots.version < EXCLUDED.version`;
}
