import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';

/**
 * A change a projection made to one read row. Live subscribers do not use these (they read the
 * tables after the batch commits, which works across processes); `apply` returns them so callers
 * can tell what a batch changed, and that a replayed batch changed nothing.
 */
export interface ReadModelChange {
  /** e.g. `order` or `product` */
  kind: string;
  /** The read row's key (order id, sku, customer id). */
  key: string;
  /** The event that caused it. */
  event: RecordedEvent;
}

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
  apply(tx: pg.ClientBase, events: RecordedEvent[]): Promise<ReadModelChange[]>;
}
