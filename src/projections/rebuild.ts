import type pg from 'pg';
import type { EventStore } from '../eventStore/eventStore.js';
import { PROJECTIONS_CHANNEL } from './projectionNotifications.js';
import type { Logger } from '../logger.js';
import { inTransaction, withoutStatementTimeout } from '../db/sessions.js';
import { lockCheckpoint } from './checkpoints.js';
import { dropIndexes } from './shadowIndexes.js';
import type { Projection } from './projection.js';

const BATCH = 5_000;
/**
 * Events read at a time by the bulk path (one keyset read each, the next read while one is folded).
 * A batch of 20,000 read and parsed outlives V8's young generation (16 MB), so each scavenge copied
 * it: GC pauses over 1,000,000 events were 3.7 s with 20,000, 2.7 s with 10,000, 2.2 s with 5,000.
 */
const BULK_BATCH = 10_000;
/**
 * Rows the bulk path holds in memory before writing them: about half a kilobyte each with the
 * process's overhead (1,000,000 events of orders are 700,000 rows, a peak of 700 MB of RSS). Under
 * the bound, every index is built once after the load; a lower one (300,000) measured slower.
 */
const BULK_HELD_ROWS = 1_000_000;
/**
 * Sort memory for building a shadow table's indexes (PostgreSQL's default, 64 MB, spills the
 * sort of a million-row table to disk).
 */
const INDEX_MEMORY = '256MB';

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
    // A bulk load is faster into tables without indexes, built afterwards from all the rows at once
    // (unique ones still refuse duplicates then). They are built after the first write of held
    // rows, as from then on the bulk path reads rows back by key.
    const deferredIndexes = bulk ? await dropIndexes(client, shadow) : new Map<string, string[]>();
    const shadowSession = <T>(fn: (session: pg.ClientBase) => Promise<T>) =>
      withoutStatementTimeout(pool, async (session) => {
        await session.query(`SET search_path TO ${shadow}, public; SET maintenance_work_mem = '${INDEX_MEMORY}'`);
        try {
          return await fn(session);
        } finally {
          // A failure here ends the session (withoutStatementTimeout's own RESET fails too).
          await session.query('RESET search_path; RESET maintenance_work_mem').catch(() => {});
        }
      });
    // Each table's on a connection of its own, the tables in parallel.
    const buildIndexes = (tables: readonly string[]) =>
      Promise.all(
        tables.map(async (table) => {
          const statements = deferredIndexes.get(table) ?? [];
          deferredIndexes.delete(table);
          if (statements.length > 0)
            await shadowSession(async (session) => {
              for (const statement of statements) await session.query(statement);
            });
        }),
      );
    // Unqualified table names in the projection now mean the shadow copies.
    await client.query(`SET search_path TO ${shadow}, public`);

    let position = 0n;
    let events = 0;
    const read = (after: bigint, upTo: bigint) => {
      // Folds read no metadata but the clock: the bulk path reads just that, which is much faster.
      const reading = eventStore.readAll(after, batchSize, { types, upTo, metadata: bulk ? 'occurredAt' : 'all' });
      reading.catch(() => {}); // awaited below, unless the rebuild ends first
      return reading;
    };
    let head = await eventStore.headPosition();
    const state = bulk?.start(head, { session: shadowSession });
    let next = read(position, head);
    for (;;) {
      const batch = await next;
      const full = batch.length === batchSize;
      // Read the next batch (on another connection) while this one is folded and written.
      if (full) next = read(batch.at(-1)!.position, head);
      if (batch.length > 0) {
        if (bulk) {
          await bulk.fold(client, state, batch);
          if (bulk.size(state) > heldRows) {
            await bulk.flush(client, state);
            await buildIndexes(projection.tables);
          }
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
    if (bulk) {
      // Tables the flush does not write are complete: their indexes are built meanwhile.
      const held = bulk.heldTables ?? projection.tables;
      await Promise.all([
        buildIndexes(projection.tables.filter((table) => !held.includes(table))),
        bulk.flush(client, state).then(() => buildIndexes(held)),
      ]);
    }

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
