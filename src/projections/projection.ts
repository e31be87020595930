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
}
