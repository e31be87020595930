import type pg from 'pg';
import type { PrismaClient } from '../generated/prisma/client.js';

export type ProjectionStatusValue = 'RUNNING' | 'FAILED';

export interface Checkpoint {
  name: string;
  position: bigint;
  status: ProjectionStatusValue;
  lastError: string | null;
}

/** Reads a projection's checkpoint, creating it at position 0 the first time. */
export async function ensureCheckpoint(prisma: PrismaClient, name: string): Promise<Checkpoint> {
  const row = await prisma.projectionCheckpoint.upsert({ where: { name }, create: { name }, update: {} });
  return { name, position: row.position, status: row.status as ProjectionStatusValue, lastError: row.lastError };
}

/** Reads a projection's checkpoint (it must exist). */
export async function readCheckpoint(prisma: PrismaClient, name: string): Promise<Checkpoint> {
  const row = await prisma.projectionCheckpoint.findUniqueOrThrow({ where: { name } });
  return { name, position: row.position, status: row.status as ProjectionStatusValue, lastError: row.lastError };
}

/**
 * Locks the checkpoint row inside a batch's transaction and checks it is where this runner left it:
 * if another process moved it (a takeover while we were cut off), the batch must not be applied.
 */
export async function lockCheckpoint(tx: pg.ClientBase, name: string): Promise<{ position: bigint; status: ProjectionStatusValue }> {
  const { rows } = await tx.query<{ position: string; status: ProjectionStatusValue }>(
    'SELECT position, status FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
    [name],
  );
  if (!rows[0]) throw new Error(`projection ${name} has no checkpoint`);
  return { position: BigInt(rows[0].position), status: rows[0].status };
}

export async function advanceCheckpoint(tx: pg.ClientBase, name: string, position: bigint): Promise<void> {
  await tx.query("UPDATE projection_checkpoints SET position = $2, status = 'RUNNING', last_error = NULL, updated_at = now() WHERE name = $1", [name, position.toString()]);
}

/** Marks a projection failed on the event at `position` (its checkpoint stays just before it). */
export async function markFailed(prisma: PrismaClient, name: string, position: bigint, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await prisma.projectionCheckpoint.update({
    where: { name },
    data: { status: 'FAILED', lastError: `event at position ${position}: ${message}`.slice(0, 2000) },
  });
}
