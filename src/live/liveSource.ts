import type { Database } from '../db/database.js';

/** A change a live source read, emitted as `<kind>` and `<kind>:<key>`. */
export interface LiveChange<C = unknown> {
  /** The read row's key (an order id, a sku): subscribers to one row listen to `<kind>:<key>`. */
  key: string;
  /** The position of the event behind it (whose trace context the live push span links to). */
  position: bigint;
  change: C;
}

/**
 * Where a feature's live changes come from: the rows its projection committed in a batch, read
 * once per batch for every subscriber of this process.
 */
export interface LiveSource<C = unknown> {
  /** The projection whose committed batches carry these changes. */
  projection: string;
  /** The event-name prefix its changes are emitted under (`order`, `product`). */
  kind: string;
  /** The changes the projection committed after `after` up to `upTo`, in position order. */
  read(db: Database, after: bigint, upTo: bigint): Promise<LiveChange<C>[]>;
}

/**
 * Where the live feed hears that a projection committed a batch: PostgreSQL's NOTIFY (the
 * projections' notifications, by default) or Redis (redisProgress.ts, with REDIS_URL).
 */
export interface ProjectionProgressSource {
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void;
  /** Signals sent while the source was disconnected were missed: re-read where things stand. */
  onReconnect(listener: () => void): () => void;
}

/** Where a subscriber listens for live changes (the live feed; any EventEmitter in unit tests). */
export interface ChangeSource {
  /** `field`: the subscription field the listener serves (named on the live push span). */
  on<C>(event: string, listener: (change: C) => void, field?: string): unknown;
  off<C>(event: string, listener: (change: C) => void): unknown;
  /**
   * Calls `listener` when the source can no longer vouch for a gap-free stream (the database has
   * been away too long), so that subscribers end with that error; returns how to stop listening.
   */
  onFailure?(listener: (error: Error) => void): () => void;
}
