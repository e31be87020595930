import type pg from 'pg';
import type { EventStore } from '../eventStore/eventStore.js';
import { PROJECTIONS_CHANNEL } from '../eventStore/notifications.js';
import type { Logger } from '../logger.js';
import { lockCheckpoint } from './checkpoints.js';
import type { Projection } from './projection.js';

const BATCH = 5_000;
/** Events read at a time by the bulk path (one keyset read each, the next read while one is folded). */
const BULK_BATCH = 20_000;
/** Rows the bulk path holds in memory before writing them (a few hundred bytes each). */
const BULK_HELD_ROWS = 300_000;

/** The rebuild was stopped (its process is shutting down) before its swap: nothing was swapped. */
export class RebuildStoppedError extends Error {
  constructor(projection: string) {
    super(`rebuild of ${projection} stopped before its swap`);
  }
}

export interface RebuildOptions {
  logger?: Logger;
  /** Asked between batches: true ends the rebuild with RebuildStoppedError (the old tables keep serving). */
  shouldStop?: () => boolean;
  /** Told the position the shadow tables have reached after each batch. */
  onProgress?: (position: bigint) => void;
  /** Events per read on the bulk path (tests make it small to cross batch boundaries). */
  bulkBatch?: number;
  /** The bulk path writes the rows it holds once they are more than this. */
  bulkHeldRows?: number;
}

export interface RebuildResult {
  events: number;
  position: bigint;
  ms: number;
  /** Whether the projection's bulk path (Projection.rebuild) built the tables. */
  bulk: boolean;
}

/**
 * Rebuilds a projection's tables from the log without disturbing readers: it builds fresh copies
 * in a schema of their own (`rebuild_<name>`, same columns and indexes), catches up, then swaps
 * them in within one transaction that also holds the projection's checkpoint row (so the live
 * runner waits and then carries on from the rebuilt position). Readers see the old tables until
 * the swap commits and the new ones after it, never a half-built table. The swap records the
 * projection's version as the one its tables are now built by.
 */
export async function rebuildProjection(
  pool: pg.Pool,
  eventStore: EventStore,
  projection: Projection,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const { logger, shouldStop, onProgress } = options;
  const bulk = projection.rebuild;
  const batchSize = bulk ? (options.bulkBatch ?? BULK_BATCH) : BATCH;
  const heldRows = options.bulkHeldRows ?? BULK_HELD_ROWS;
  const types = [...projection.eventTypes];
  const started = performance.now();
  const shadow = `rebuild_${projection.name}`;
  const retired = `retired_${projection.name}`;
  const client = await pool.connect();
  // As in the runner: a connection lost between statements must fail the statement in flight, not
  // become an unhandled 'error' event that ends the process.
  const ignore = () => {};
  client.on('error', ignore);
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${shadow} CASCADE; CREATE SCHEMA ${shadow}`);
    for (const table of projection.tables) await client.query(`CREATE TABLE ${shadow}.${table} (LIKE public.${table} INCLUDING ALL)`);
    // A bulk load is faster into tables without their secondary indexes, built once afterwards
    // from sorted data. Unique ones stay: they keep the load honest, and the bulk path reads by them.
    const deferredIndexes = bulk ? await dropSecondaryIndexes(client, shadow) : [];
    // Unqualified table names in the projection now mean the shadow copies.
    await client.query(`SET search_path TO ${shadow}, public`);

    let position = 0n;
    let events = 0;
    const state = bulk?.start();
    const read = (after: bigint, upTo: bigint) => {
      const reading = eventStore.readAll(after, batchSize, { types, upTo });
      reading.catch(() => {}); // awaited below, unless the rebuild ends first
      return reading;
    };
    let head = await eventStore.headPosition();
    let next = read(position, head);
    for (;;) {
      const batch = await next;
      const full = batch.length === batchSize;
      // Read the next batch (on another connection) while this one is folded and written.
      if (full) next = read(batch.at(-1)!.position, head);
      if (batch.length > 0) {
        if (bulk) {
          await bulk.fold(client, state, batch);
          if (bulk.size(state) > heldRows) await bulk.flush(client, state);
        } else {
          await inTransaction(client, () => projection.apply(client, batch));
        }
      }
      events += batch.length;
      position = full ? batch.at(-1)!.position : head;
      if (!full) {
        // Caught up with the head we started from; take a new one until little is left.
        // (Less than a live batch is left to `apply` in the swap, which holds the checkpoint meanwhile.)
        const latest = await eventStore.headPosition();
        if (latest - position < BATCH) break;
        head = latest;
        next = read(position, head);
      }
      onProgress?.(position);
      logger?.info({ projection: projection.name, position: position.toString() }, 'rebuilding');
      if (shouldStop?.()) throw new RebuildStoppedError(projection.name);
    }
    // The rest is applied by `apply` in the swap's transaction, on the rows written so far.
    if (bulk) await bulk.flush(client, state);
    for (const definition of deferredIndexes) await client.query(definition);
    if (bulk) await client.query(`ANALYZE ${projection.tables.map((table) => `${shadow}.${table}`).join(', ')}`);

    await inTransaction(client, async () => {
      await client.query('INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING', [projection.name]);
      await lockCheckpoint(client, projection.name);
      const head = await eventStore.headPosition();
      for (;;) {
        const rest = await eventStore.readAll(position, BATCH, { types, upTo: head });
        if (rest.length > 0) await projection.apply(client, rest);
        events += rest.length;
        if (rest.length < BATCH) break;
        position = rest.at(-1)!.position;
      }
      position = head;
      await client.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE; CREATE SCHEMA ${retired}`);
      for (const table of projection.tables) {
        await client.query(`ALTER TABLE public.${table} SET SCHEMA ${retired}`);
        await client.query(`ALTER TABLE ${shadow}.${table} SET SCHEMA public`);
      }
      await client.query(
        "UPDATE projection_checkpoints SET position = $2, status = 'RUNNING', last_error = NULL, version = $3, updated_at = now() WHERE name = $1",
        [projection.name, position.toString(), projection.version],
      );
      await client.query('SELECT pg_notify($1, $2)', [PROJECTIONS_CHANNEL, `${projection.name}:${position}`]);
    });
    await client.query(`DROP SCHEMA ${retired} CASCADE; DROP SCHEMA ${shadow} CASCADE`);
    onProgress?.(position);
    return { events, position, ms: performance.now() - started, bulk: bulk !== undefined };
  } catch (error) {
    await client.query(`DROP SCHEMA IF EXISTS ${shadow} CASCADE`).catch(() => {});
    throw error;
  } finally {
    await client.query('RESET search_path').catch(() => {});
    client.off('error', ignore);
    client.release();
  }
}

/** Drops the shadow tables' non-unique indexes, returning the statements that create them again. */
async function dropSecondaryIndexes(client: pg.ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT format('%I.%I', n.nspname, ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE n.nspname = $1 AND NOT i.indisunique`,
    [schema],
  );
  for (const { name } of rows) await client.query(`DROP INDEX ${name}`);
  return rows.map((r) => r.definition);
}

async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
