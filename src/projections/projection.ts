import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';

/**
 * A projection: consumes the log in position order and keeps its own read tables. `apply` runs
 * inside the batch's transaction (together with the checkpoint update), must only touch the
 * projection's own tables, and must be idempotent: every read row stores the last position applied
 * to it, and an event at or below that position is skipped.
 */
export interface Projection {
  name: string;
  /**
   * Raised whenever what `apply` writes changes (its logic or its tables): a process starting with
   * another version than the serving tables were built by rebuilds them beside the serving ones.
   */
  version: number;
  /** The event types it handles; other events only move its checkpoint. */
  eventTypes: readonly string[];
  /** The tables it owns, in the public schema (a rebuild recreates exactly these). */
  tables: readonly string[];
  /**
   * Writes what `events` change. It answers nothing: what changed is read from the tables, by the
   * live feed after the batch commits (which works across processes) and by tests.
   */
  apply(tx: pg.ClientBase, events: RecordedEvent[]): Promise<void>;
  /**
   * Optional faster path for a rebuild (see BulkRebuild); without it a rebuild replays the log
   * through `apply`. Whatever it writes must equal, row for row, what `apply` would have.
   */
  rebuild?: BulkRebuild<unknown>;
}

/**
 * How a projection rebuilds in bulk. A rebuild writes into shadow tables that start empty and
 * that nobody reads until they are swapped in, so it need not write each batch as it goes: it
 * folds large batches into rows held in memory across batches and writes them with a few
 * set-based statements, whenever more than a bound of rows is held and once at the end.
 * The live path (`apply`, small batches on serving tables) is unaffected.
 */
export interface BulkRebuild<S> {
  /**
   * An empty state: the rows held in memory between writes. `upTo` is the head the rebuild reads
   * up to first (later batches may go beyond it, as the log grows meanwhile).
   */
  start(upTo: bigint, context: BulkContext): S;
  /**
   * Folds `events` (the projection's types, in position order, each exactly once) into `state`.
   * They are read with `metadata: 'occurredAt'` (see ReadAllOptions): their metadata holds only
   * the clock, and `recordedAt` is set only when that is missing.
   * Rows written by an earlier `flush` are no longer held, so it reads them back from the tables
   * when an event needs them. It may write rows nothing later changes (append-only ones) at once.
   */
  fold(tx: pg.ClientBase, state: S, events: RecordedEvent[]): Promise<void>;
  /** How many rows `state` holds (the rebuild flushes when this passes its bound). */
  size(state: S): number;
  /** Writes every row `state` holds into the tables, and forgets them. */
  flush(tx: pg.ClientBase, state: S): Promise<void>;
  /**
   * The tables `flush` writes (all of them when not said). The others are complete once every
   * event is folded, so the rebuild indexes them while the last flush runs.
   */
  heldTables?: readonly string[];
}

/** What a rebuild lends its bulk path besides its own connection. */
export interface BulkContext {
  /**
   * Runs `fn` on another connection of the pool, whose unqualified table names mean the shadow
   * tables too, without the pool's statement timeout: for statements to run beside the fold and
   * each other (on two or more cores, PostgreSQL works on them at once while Node folds).
   */
  session<T>(fn: (session: pg.ClientBase) => Promise<T>): Promise<T>;
}
