import pg from 'pg';
import { PROJECTIONS_CHANNEL } from './projectionNotifications.js';
import type { PrismaClient } from '../generated/prisma/client.js';

/** `REBUILDING`: a new version of the projection is being built beside the tables that serve. */
export type ProjectionStatusValue = 'RUNNING' | 'REBUILDING' | 'FAILED';

export interface Checkpoint {
  name: string;
  position: bigint;
  status: ProjectionStatusValue;
  lastError: string | null;
  /** The projection's version its serving tables were built by. */
  version: number;
}

/**
 * Every projection's checkpoint as one JSON object `{ name: position }`: how a read replica tells
 * how far it has replayed each read model (`ReadReplicas`'s `replayedPositions`).
 */
export const CHECKPOINT_POSITIONS = {
  sql: `(SELECT coalesce(json_object_agg(name, position::text), '{}') FROM projection_checkpoints)`,
} as const;

/** The checkpoint moved under a batch (another process took over): the batch must not be applied. */
export class CheckpointMovedError extends Error {}

const checkpointOf = (row: { name: string; position: bigint; status: string; lastError: string | null; version: number }): Checkpoint => ({
  name: row.name,
  position: row.position,
  status: row.status as ProjectionStatusValue,
  lastError: row.lastError,
  version: row.version,
});

/**
 * Reads a projection's checkpoint, creating it at position 0 the first time: a projection never run
 * before is built in place from the start of the log, by the version that creates it.
 */
export async function ensureCheckpoint(prisma: PrismaClient, name: string, version: number): Promise<Checkpoint> {
  return checkpointOf(await prisma.projectionCheckpoint.upsert({ where: { name }, create: { name, version }, update: {} }));
}

/** Reads a projection's checkpoint (it must exist). */
export async function readCheckpoint(prisma: PrismaClient, name: string): Promise<Checkpoint> {
  return checkpointOf(await prisma.projectionCheckpoint.findUniqueOrThrow({ where: { name } }));
}

/** Sets a projection's status (and clears its error), e.g. while a new version is rebuilt. */
export async function setStatus(prisma: PrismaClient, name: string, status: ProjectionStatusValue): Promise<void> {
  await prisma.projectionCheckpoint.update({ where: { name }, data: { status, lastError: null } });
}

type LockedCheckpoint = { position: bigint; status: ProjectionStatusValue };
const LOCK_CHECKPOINT = 'SELECT position, status FROM projection_checkpoints WHERE name = $1 FOR UPDATE';

function lockedCheckpoint(name: string, row: { position: string; status: ProjectionStatusValue } | undefined): LockedCheckpoint {
  if (!row) throw new Error(`projection ${name} has no checkpoint`);
  return { position: BigInt(row.position), status: row.status };
}

/**
 * Locks the checkpoint row inside a transaction and says where it stands: a batch checks it is
 * where its runner left it (if another process moved it, a takeover while we were cut off, the
 * batch must not be applied); a rebuild holds it while it swaps the tables.
 */
export async function lockCheckpoint(tx: pg.ClientBase, name: string): Promise<LockedCheckpoint> {
  const { rows } = await tx.query<{ position: string; status: ProjectionStatusValue }>(LOCK_CHECKPOINT, [name]);
  return lockedCheckpoint(name, rows[0]);
}

/**
 * BEGIN, then lockCheckpoint, in one round trip (a batch runs after every commit under load, and
 * each round trip costs both sides CPU). A multi-statement query takes no parameters; the
 * name is a projection's (our code's), quoted as a literal all the same.
 */
export async function beginAndLockCheckpoint(tx: pg.ClientBase, name: string): Promise<LockedCheckpoint> {
  const lock = LOCK_CHECKPOINT.replace('$1', pg.escapeLiteral(name));
  const results = (await tx.query(`BEGIN; ${lock}`)) as unknown as pg.QueryResult<{ position: string; status: ProjectionStatusValue }>[];
  return lockedCheckpoint(name, results[1]?.rows[0]);
}

/**
 * Moves the locked checkpoint to `position`, announces it on the projections channel (delivered
 * on commit) and commits: one round trip.
 */
export async function advanceCheckpointAndCommit(tx: pg.ClientBase, name: string, position: bigint): Promise<void> {
  const [lname, lannounce] = [pg.escapeLiteral(name), pg.escapeLiteral(`${name}:${position}`)];
  await tx.query(
    `UPDATE projection_checkpoints SET position = ${position.toString()}, status = 'RUNNING', last_error = NULL, updated_at = now() WHERE name = ${lname};
     SELECT pg_notify('${PROJECTIONS_CHANNEL}', ${lannounce});
     COMMIT`,
  );
}

/**
 * Moves a running checkpoint from `from` to `to` when the log holds no event of `types` in between
 * (nothing for the projection to apply), and announces it: one prepared statement. False when it
 * did not move: there are such events, or the checkpoint is no longer at `from` (another process
 * took over).
 */
export async function skipCheckpoint(
  session: pg.ClientBase,
  name: string,
  types: readonly string[],
  from: bigint,
  to: bigint,
): Promise<boolean> {
  const { rowCount } = await session.query({
    name: 'projection_skip',
    text: `WITH moved AS (
             UPDATE projection_checkpoints SET position = $3, updated_at = now()
             WHERE name = $1 AND position = $2 AND status = 'RUNNING'
               AND NOT EXISTS (SELECT 1 FROM events WHERE position > $2 AND position <= $3 AND type = ANY($4::text[]))
             RETURNING name
           ) SELECT pg_notify($5, $1 || ':' || $3) FROM moved`,
    values: [name, from.toString(), to.toString(), types, PROJECTIONS_CHANNEL],
  });
  return rowCount === 1;
}

/** One checkpoint to move over events its projection does not handle (see skipCheckpoints). */
export interface SkipRequest {
  name: string;
  types: readonly string[];
  from: bigint;
  to: bigint;
}

/**
 * skipCheckpoint for several projections in one prepared statement: each checkpoint moves from
 * its `from` to its `to` under the same conditions (still at `from`, RUNNING, no event of its types
 * in between), each moved one is announced as `name:position` like a single skip. Returns the
 * names that moved. Whichever session runs it, a checkpoint that another process moved (or holds
 * FOR UPDATE while its batch commits, after which `position = from` no longer holds) stays put.
 */
export async function skipCheckpoints(session: pg.ClientBase, requests: readonly SkipRequest[]): Promise<Set<string>> {
  const handledBy: string[] = [];
  const handled: string[] = [];
  for (const r of requests)
    for (const type of r.types) {
      handledBy.push(r.name);
      handled.push(type);
    }
  const { rows } = await session.query<{ name: string }>({
    name: 'projection_skips',
    text: `WITH wanted AS (
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS w(name, from_position, to_position)
           ), handled AS (
             SELECT * FROM unnest($4::text[], $5::text[]) AS h(name, type)
           ), moved AS (
             UPDATE projection_checkpoints c SET position = w.to_position, updated_at = now()
             FROM wanted w
             WHERE c.name = w.name AND c.position = w.from_position AND c.status = 'RUNNING'
               AND NOT EXISTS (
                 SELECT 1 FROM events e JOIN handled h ON h.type = e.type AND h.name = w.name
                 WHERE e.position > w.from_position AND e.position <= w.to_position
               )
             RETURNING c.name, c.position
           ) SELECT name, pg_notify($6, name || ':' || position) FROM moved`,
    values: [
      requests.map((r) => r.name),
      requests.map((r) => r.from.toString()),
      requests.map((r) => r.to.toString()),
      handledBy,
      handled,
      PROJECTIONS_CHANNEL,
    ],
  });
  return new Set(rows.map((r) => r.name));
}

/** Marks a projection failed on the event at `position` (its checkpoint stays just before it). */
export async function markFailed(prisma: PrismaClient, name: string, position: bigint, error: unknown): Promise<void> {
  await markFailedWith(prisma, name, `event at position ${position}: ${messageOf(error)}`);
}

/** Marks a projection failed with `lastError` saying why. */
export async function markFailedWith(prisma: PrismaClient, name: string, lastError: string): Promise<void> {
  await prisma.projectionCheckpoint.update({ where: { name }, data: { status: 'FAILED', lastError: lastError.slice(0, 2000) } });
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
