import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ReadModelConsistency } from '../projections/consistency.js';
import { findOrder } from './orderReads.js';
import type { OrderView } from './orderView.js';

const ORDERS = 'orders';

/**
 * A safety net, not the way entries normally go: anything that changes order rows without a new
 * order event after the entry was read, and without a new projection version (which clears the
 * cache), shows within this long.
 */
const MAX_AGE_MS = 10_000;

interface Entry {
  view: OrderView | null;
  /** The view's `last_position` (-1 for a missing order): a later read never replaces it with an older one. */
  position: bigint;
}

/** A read of one order from the database in flight, and what happened to that order meanwhile. */
interface Flight {
  /** The order was changed by a batch whose invalidation ran during the read: its answer may predate it. */
  dirty: boolean;
  /** The newest answer another read of the same order gave meanwhile. */
  newestSeen: bigint;
}

const positionOf = (view: OrderView | null): bigint => (view?.position === undefined ? -1n : BigInt(view.position));

/**
 * The order views this process read from the read tables, so that `order(id)` answers from memory
 * while nothing changed the order. It caches the view only: who may see it is decided on every
 * request.
 *
 * Entries are dropped by the orders projection's progress: for each batch this process hears of
 * (from whichever process ran it), the orders the batch changed are read from the history table
 * (one indexed range read per batch, none while the cache is empty) and forgotten. Until the
 * invalidation has caught up with every batch this process has heard of, reads go to the database,
 * so a read after `consistentWith` (which waits until the batch is heard of) never gets an entry
 * older than its position. Monotonic too: an answer never goes back to an older version than one
 * this cache already gave for the order (a read that raced a change neither stores its answer nor
 * lets an older entry stand).
 */
export class OrderViewCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly flights = new Map<string, Set<Flight>>();
  /** Every batch of the orders projection up to here has had its changed orders forgotten. */
  private invalidatedThrough: bigint;
  /**
   * The orders projection's version the entries were read at. A rebuild for a new version swaps
   * in new tables without new order events, so a change of version forgets everything; until the
   * version is known nothing is kept.
   */
  private version?: number;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Pick<Database, 'pool' | 'health'>,
    /** Whether this process hears the projections' progress now (false while its listener is away). */
    private readonly hearing: () => boolean,
    private readonly consistency: ReadModelConsistency,
    private readonly logger: Logger,
    maxEntries: number,
  ) {
    this.entries = new LRUCache({ max: maxEntries, ttl: MAX_AGE_MS, ttlAutopurge: false });
    // Empty now, so nothing heard before needs forgetting.
    this.invalidatedThrough = consistency.positionOf(ORDERS);
    this.work = this.invalidateThrough(this.invalidatedThrough);
    consistency.onProgress((name, position) => {
      if (name === ORDERS) this.work = this.work.then(() => this.invalidateThrough(position));
    });
    // Progress signals may have been missed while the source was away: forget everything.
    consistency.onReconnect(() => this.clear());
  }

  /** The order as the read tables have it (null when there is none). */
  async read(orderId: string): Promise<OrderView | null> {
    // The first reads wait for the projection's version to be known (one query, once).
    if (this.version === undefined) await this.work;
    const entry = this.entries.get(orderId);
    // While the database or this process's listener is away, changes may be going unheard: nothing
    // is answered from memory, and the read fails fast like every other one (DATABASE_UNAVAILABLE).
    const fresh = this.invalidatedThrough >= this.consistency.positionOf(ORDERS) && this.hearing() && !this.db.health.trouble();
    if (entry && fresh) return entry.view;
    return this.readThrough(orderId);
  }

  /** How many orders are cached (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private async readThrough(orderId: string): Promise<OrderView | null> {
    const flight: Flight = { dirty: false, newestSeen: -1n };
    let flights = this.flights.get(orderId);
    if (!flights) this.flights.set(orderId, (flights = new Set()));
    flights.add(flight);
    let view: OrderView | null;
    try {
      view = await findOrder(this.db, orderId);
    } finally {
      flights.delete(flight);
      if (flights.size === 0) this.flights.delete(orderId);
    }
    if (this.version === undefined) return view;
    if (view) deepFreeze(view);
    const position = positionOf(view);
    for (const other of flights) if (other.newestSeen < position) other.newestSeen = position;
    const current = this.entries.peek(orderId);
    if (!flight.dirty && position >= flight.newestSeen && (!current || current.position <= position)) {
      this.entries.set(orderId, { view, position });
    } else if (current && current.position < position) {
      // Someone now has this newer answer: the older entry may not be served after it.
      this.entries.delete(orderId);
    }
    return view;
  }

  /**
   * Forgets the orders changed by the batches up to `position`, or everything when the projection's
   * version changed (one round trip for both).
   */
  private async invalidateThrough(position: bigint): Promise<void> {
    const from = this.invalidatedThrough;
    const upTo = position > from ? position : from;
    try {
      const { rows } = await this.db.pool.query<{ version: number | null; changed: string[] }>({
        name: 'order-cache-changed',
        text: `SELECT (SELECT version FROM projection_checkpoints WHERE name = $3) AS version,
                      ARRAY(SELECT DISTINCT order_id FROM order_history WHERE position > $1 AND position <= $2) AS changed`,
        values: [from.toString(), upTo.toString(), ORDERS],
      });
      const { version, changed } = rows[0]!;
      if (version !== this.version) this.clear();
      else for (const orderId of changed) this.forget(orderId);
      this.version = version ?? undefined;
    } catch (err) {
      this.logger.warn({ err }, 'order cache could not read what a batch changed; forgetting every order');
      this.clear();
      this.version = undefined;
    }
    this.invalidatedThrough = upTo;
  }

  private forget(orderId: string): void {
    this.entries.delete(orderId);
    for (const flight of this.flights.get(orderId) ?? []) flight.dirty = true;
  }

  private clear(): void {
    this.entries.clear();
    for (const flights of this.flights.values()) for (const flight of flights) flight.dirty = true;
  }
}

/** Shared by every request that gets it from the cache: nobody may change it. */
function deepFreeze(view: OrderView): void {
  for (const item of view.items) Object.freeze(item);
  Object.freeze(view.items);
  Object.freeze(view);
}

/** One cache per service (a test may run two servers in one Node process). */
const caches = new WeakMap<ReadModelConsistency, OrderViewCache>();

/**
 * The order for `order(id)` and friends: from this process's cache when it is on
 * (`ORDER_CACHE_ENTRIES` > 0), else straight from the read tables.
 */
export function readOrderView(
  services: {
    db: Pick<Database, 'pool' | 'health'>;
    eventStore: { notifier: { listening: boolean } };
    readSide: { consistency: ReadModelConsistency };
    logger: Logger;
    config: { orderCacheEntries: number };
  },
  orderId: string,
): Promise<OrderView | null> {
  if (services.config.orderCacheEntries === 0) return findOrder(services.db, orderId);
  const { consistency } = services.readSide;
  let cache = caches.get(consistency);
  if (!cache)
    caches.set(
      consistency,
      (cache = new OrderViewCache(
        services.db,
        () => services.eventStore.notifier.listening,
        consistency,
        services.logger,
        services.config.orderCacheEntries,
      )),
    );
  return cache.read(orderId);
}
