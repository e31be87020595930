import { EventEmitter } from 'node:events';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { findOrder } from '../orders/orderReads.js';
import type { OrderView } from '../orders/orderView.js';
import { productViewFromRow, type ProductView } from '../products/productView.js';

/** An order event as the live feed pushes it: a row of the history read table. */
export interface OrderChange {
  position: bigint;
  orderId: string;
  version: number;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  /** The order as the read side has it now; read once per change, however many subscribers ask. */
  order(): Promise<OrderView | null>;
}

/** An OrderChange for a history row (live, or read for a replay). */
export function orderChangeFrom(
  row: { position: bigint; orderId: string; version: number; type: string; occurredAt: Date; data: unknown },
  db: Pick<Database, 'pool'>,
): OrderChange {
  let order: Promise<OrderView | null> | undefined;
  // Read once and shared; a failed read (the database away for a moment) is forgotten, so it can be retried.
  const read = () => findOrder(db, row.orderId).catch((error: unknown) => {
    order = undefined;
    throw error;
  });
  return { ...row, data: row.data as Record<string, unknown>, order: () => (order ??= read()) };
}

/** A product whose stock or catalog entry changed, as the inventory read table now has it. */
export interface InventoryChange {
  position: bigint;
  sku: string;
  product: ProductView;
}

/** The projections whose tables live pushes read, and the kind of change (event name prefix) each emits. */
const LIVE_KINDS: Record<string, 'order' | 'product'> = { orders: 'order', inventory: 'product' };
const LIVE_PROJECTIONS = Object.keys(LIVE_KINDS);

/**
 * Where the live feed hears that a projection committed a batch: PostgreSQL's NOTIFY (the commit
 * notifier, by default) or Redis (redisProgress.ts, with REDIS_URL).
 */
export interface ProjectionProgressSource {
  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void;
  /** Signals sent while the source was disconnected were missed: re-read where things stand. */
  onReconnect(listener: () => void): () => void;
}

/**
 * Live changes for this process's subscribers, taken from the read tables after the projection
 * that fills them has committed (announced on PostgreSQL's projections channel by whichever
 * process runs the projection), so a pushed change and a query always agree, and every server
 * process sees every change without any other broker. One query per committed batch serves all
 * subscribers; `orders` emits `order:<id>` and `order`, `inventory` emits `product:<sku>` and `product`.
 */
export class LiveFeed extends EventEmitter {
  /** How far each live projection's changes have been pushed, by projection name (set by start). */
  private readonly cursors = new Map<string, bigint>();
  private work: Promise<void> = Promise.resolve();
  private unsubscribe?: () => void;
  private unsubscribeReconnect?: () => void;
  /** Listeners per kind (`order`, `product`: the event name up to its `:`). */
  private readonly listening = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly notifier: ProjectionProgressSource,
    private readonly logger: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    // With nobody listening to a kind, its pulls only move the cursor: no read after every batch
    // (issue 7). A subscriber listens before it reads its initial state or replay, and rows are
    // committed before their batch is announced, so whatever it did not hear, it reads.
    const count = (event: string | symbol, by: number) => {
      if (typeof event !== 'string') return;
      const kind = event.split(':')[0]!;
      this.listening.set(kind, (this.listening.get(kind) ?? 0) + by);
    };
    this.on('newListener', (event: string | symbol) => count(event, 1));
    this.on('removeListener', (event: string | symbol) => count(event, -1));
  }

  private heard(kind: 'order' | 'product'): boolean {
    return (this.listening.get(kind) ?? 0) > 0;
  }

  /** Starts from the projections' current positions (older changes are for replays). */
  async start(): Promise<void> {
    const rows = await this.checkpoints();
    for (const name of LIVE_PROJECTIONS) this.cursors.set(name, rows.find((r) => r.name === name)?.position ?? 0n);
    this.unsubscribe = this.notifier.onProjectionProgress((name, position) => {
      if (LIVE_PROJECTIONS.includes(name)) this.enqueue(() => this.pull(name, position));
    });
    this.unsubscribeReconnect = this.notifier.onReconnect(() => this.enqueue(() => this.catchUp()));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribeReconnect?.();
  }

  /**
   * After the listener lost its connection (a database outage), batches committed meanwhile were
   * never announced: pull up to where the projections stand now, so subscribers get them.
   */
  private async catchUp(): Promise<void> {
    for (const row of await this.checkpoints()) await this.pull(row.name, row.position);
  }

  /** Where the projections behind live pushes stand. */
  private checkpoints(): Promise<{ name: string; position: bigint }[]> {
    return this.db.prisma.projectionCheckpoint.findMany({ where: { name: { in: LIVE_PROJECTIONS } }, select: { name: true, position: true } });
  }

  /**
   * Pushes the changes of a live projection after its cursor up to `position`, then moves the
   * cursor (a failed read leaves it, so the next pull reads those changes again). With nobody
   * listening to its kind there is nothing to read (see the constructor).
   */
  private async pull(name: string, position: bigint): Promise<void> {
    const cursor = this.cursors.get(name);
    if (cursor === undefined || position <= cursor) return;
    const kind = LIVE_KINDS[name]!;
    if (this.heard(kind)) await (kind === 'order' ? this.pushOrders(cursor, position) : this.pushInventory(cursor, position));
    this.cursors.set(name, position);
  }

  /** How far the order changes have been pushed: a subscriber's replay covers up to here at least. */
  get orderPosition(): bigint {
    return this.cursors.get('orders') ?? 0n;
  }

  // Pulls run one at a time, in the order their notifications came, so pushes stay in position order.
  private enqueue(pull: () => Promise<void>): void {
    this.work = this.work.then(pull).catch((err: unknown) => this.logger.warn({ err }, 'live feed could not read changes'));
  }

  private async pushOrders(after: bigint, upTo: bigint): Promise<void> {
    // Prepared pg statements rather than Prisma: this runs after every projection batch (issue 7 profile).
    const { rows } = await this.db.pool.query<{ position: string; order_id: string; version: number; type: string; occurred_at: Date; data: unknown }>({
      name: 'live-order-changes',
      text: 'SELECT position::text, order_id, version, type, occurred_at, data FROM order_history WHERE position > $1 AND position <= $2 ORDER BY position',
      values: [after.toString(), upTo.toString()],
    });
    for (const { position, order_id: orderId, version, type, occurred_at: occurredAt, data } of rows) {
      const row = { position: BigInt(position), orderId, version, type, occurredAt, data };
      const change = orderChangeFrom(row, this.db);
      this.emit(`order:${row.orderId}`, change);
      this.emit('order', change);
    }
  }

  private async pushInventory(after: bigint, upTo: bigint): Promise<void> {
    // The whole row, once per batch: every subscriber to a product gets the same object.
    const { rows } = await this.db.pool.query<{ sku: string; name: string; price_cents: number; on_hand: number; reserved: number; last_position: string }>({
      name: 'live-inventory-changes',
      text: 'SELECT sku, name, price_cents, on_hand, reserved, last_position::text FROM inventory WHERE last_position > $1 AND last_position <= $2 ORDER BY last_position',
      values: [after.toString(), upTo.toString()],
    });
    for (const row of rows) {
      const product = productViewFromRow({ sku: row.sku, name: row.name, priceCents: row.price_cents, onHand: row.on_hand, reserved: row.reserved });
      const change: InventoryChange = { position: BigInt(row.last_position), sku: row.sku, product };
      this.emit(`product:${row.sku}`, change);
      this.emit('product', change);
    }
  }
}
