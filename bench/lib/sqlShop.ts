import pg from 'pg';
import { PROJECTIONS } from '../../src/features.js';
import { writeShopLog } from './sqlShopLog.js';
import { writeShopReadModels } from './sqlShopReadModels.js';

// A shop of any size written by SQL alone (`INSERT ... SELECT` over `generate_series`): the log in
// the event shapes the server writes, and every read model as the projections would have left it,
// with each projection's checkpoint at the head. A million orders take minutes this way; through the
// commands they would take hours, and through the projections' rebuild tens of minutes.

/** Orders a day: a shop of this rate writes about ten million events a year. */
export const ORDERS_PER_DAY = 2_740;
/** Events per order on average (order events, stock changes on products, payment references). */
export const EVENTS_PER_ORDER = 10.3;

export interface SqlShop {
  orders: number;
  customers: number;
  products: number;
  /** Events in the log after the build. */
  events: number;
  /** The log's head position; every projection's checkpoint stands there. */
  head: bigint;
  /** The order id of the nth order (0 is the oldest). */
  orderId(n: number): string;
  /** The customer of the nth order. */
  customerOf(n: number): string;
  /** A surname that about orders/100 orders carry, and one that ten orders carry (one customer's). */
  commonName: string;
  rareName: string;
  /** A product every benchmark can add to a draft order. */
  sku: string;
  /** When the last order was created (orders go back from it at ORDERS_PER_DAY). */
  end: Date;
}

export interface SqlShopOptions {
  orders: number;
  products?: number;
  /** One customer per this many orders (10: a million orders, 100,000 customers). */
  ordersPerCustomer?: number;
  /** Told what was written, with how long it took (the build of ten million events takes minutes). */
  onProgress?: (step: string, ms: number) => void;
}

/** The shape of the shop (the log and the read models are both written from it). */
export interface ShopPlan {
  orders: number;
  customers: number;
  products: number;
  end: Date;
  /** Milliseconds between two orders. */
  gapMs: number;
}

/**
 * Writes the shop into `url`'s (migrated, empty) database. Order n is created at
 * `end - (orders - 1 - n) * gap`, with 1 to 4 lines, and is, by n mod 20: DRAFT (1 in 20), PAID
 * (7), SHIPPED (5), DELIVERED (2), CANCELLED after submission (2), EXPIRED (1), or SUBMITTED (2;
 * those submitted longer ago than the default payment deadline expired instead, as the server
 * would have expired them). Customers are registered in the previous release's shape (name and
 * email in plain text, upcast on read): the current one is sealed with a key the server creates.
 */
export async function buildSqlShop(url: string, options: SqlShopOptions): Promise<SqlShop> {
  const orders = options.orders;
  const products = options.products ?? 1_000;
  const customers = Math.max(1, Math.floor(orders / (options.ordersPerCustomer ?? 10)));
  // A few minutes back, so that every order's events (up to two minutes apart) are in the past.
  const end = new Date(Date.now() - 180_000);
  const plan: ShopPlan = { orders, customers, products, end, gapMs: Math.round(86_400_000 / ORDERS_PER_DAY) };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const step = async (name: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    options.onProgress?.(name, performance.now() - started);
  };
  try {
    // One transaction-free session of bulk writes: nothing here must survive a crash of the build.
    await client.query("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SET work_mem = '256MB'; SET jit = off");
    await writeShopLog(client, plan, step);
    await writeShopReadModels(client, plan, step);
    const { rows } = await client.query<{ head: string; events: string }>(
      'SELECT coalesce(max(position), 0) AS head, count(*) AS events FROM events',
    );
    const head = BigInt(rows[0]!.head);
    await client.query(
      `INSERT INTO projection_checkpoints (name, position, version)
       SELECT name, $1, version FROM unnest($2::text[], $3::int[]) AS p(name, version)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, version = EXCLUDED.version, status = 'RUNNING'`,
      [head.toString(), PROJECTIONS.map((p) => p.name), PROJECTIONS.map((p) => p.version)],
    );
    // As autovacuum would have left a table of this age: statistics, and a visibility map that
    // lets the planner choose index-only scans.
    await step('vacuum', () => client.query('VACUUM (ANALYZE)'));
    const rare = Math.min(999, customers - 1);
    return {
      orders,
      customers,
      products,
      events: Number(rows[0]!.events),
      head,
      orderId: (n) => `scale-${n}`,
      customerOf: (n) => `customer-${n % customers}`,
      commonName: 'Anderson',
      rareName: `Rare${rare}`,
      sku: 'SKU-0000',
      end,
    };
  } finally {
    await client.end();
  }
}
