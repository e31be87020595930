import type { BenchProcess } from './processes.js';
import { createOrders } from './servers.js';
import type { SqlShop } from './sqlShop.js';

// The requests the scale scenario loads each size of the shop with, and the draft orders they need.

const PAGE = '{ edges { node { id status totalCents customerName } } pageInfo { hasNextPage endCursor } }';
const COUNTED = '{ totalCount edges { node { id status totalCents customerName } } }';

/** One size of the shop: its database, what was written, and the server measured on it. */
export interface Size<F = unknown> {
  name: string;
  url: string;
  shop: SqlShop;
  /** The draft orders `addItem` is loaded on. */
  addItemOrders?: string[];
  server?: BenchProcess;
  figures: F;
}

/**
 * 64 draft orders for `addItem`. On a saturated machine the server's database heartbeat may go
 * unanswered for a while and its health gate refuse requests (DATABASE_UNAVAILABLE): then again,
 * with new ids, after a pause.
 */
export async function draftOrders(size: Size, token: string): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const ids = Array.from({ length: 64 }, (_, i) => `scale-additem-${attempt}-${i}`);
    try {
      await createOrders(size.server!.url, token, size.shop.customerOf(0), ids);
      return ids;
    } catch (error) {
      if (attempt >= 3) throw error;
      console.log(`${size.name}: creating draft orders failed (${String(error).slice(0, 160)}); again in 10 s`);
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
}

/** Each request kind measured: its name and the request bodies cycled through. */
export function requestKinds(shop: SqlShop, addItemOrders: string[]): [string, string[]][] {
  const pick = (count: number, from: number) => Array.from({ length: count }, (_, i) => (from + i * 7_919) % shop.orders);
  const query = (text: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query: text, variables });
  const day = { from: new Date(shop.end.getTime() - 86_400_000).toISOString(), to: shop.end.toISOString() };
  // The small shop's log spans about 8.5 hours, so its last day holds a third of the large shop's
  // minutes: the last 8 hours hold the same in both, which is what compares their costs.
  const hours = { from: new Date(shop.end.getTime() - 8 * 3_600_000).toISOString(), to: shop.end.toISOString() };
  const search = (q: string, selection: string) => query(`query($q: String!) { searchOrders(query: $q, first: 20) ${selection} }`, { q });
  return [
    [
      'order(id), 1,000 orders cycled',
      pick(1_000, 1).map((n) => query(`{ order(id: "${shop.orderId(n)}") { id status totalCents items { sku quantity } } }`)),
    ],
    ['orders(first: 20, status: PAID)', [query(`{ orders(first: 20, status: PAID) ${PAGE} }`)]],
    ['orders(first: 20, status: PAID) with totalCount', [query(`{ orders(first: 20, status: PAID) ${COUNTED} }`)]],
    [
      "a customer's orders (first: 20)",
      pick(200, 3).map((n) => query(`{ orders(first: 20, customerId: "${shop.customerOf(n)}") ${PAGE} }`)),
    ],
    ['searchOrders, a common surname', [search(shop.commonName, PAGE)]],
    ['searchOrders, a common surname, with totalCount', [search(shop.commonName, COUNTED)]],
    ['searchOrders, a rare surname', [search(shop.rareName, PAGE)]],
    [
      'salesStats, the last day by HOUR',
      [
        query(
          `query($from: DateTime!, $to: DateTime!) { salesStats(from: $from, to: $to, bucket: HOUR) { start ordersPaid revenueCents } }`,
          day,
        ),
      ],
    ],
    [
      'salesStats, the last 8 hours by HOUR',
      [
        query(
          `query($from: DateTime!, $to: DateTime!) { salesStats(from: $from, to: $to, bucket: HOUR) { start ordersPaid revenueCents } }`,
          hours,
        ),
      ],
    ],
    ['order.history', pick(500, 5).map((n) => query(`{ orderHistory(orderId: "${shop.orderId(n)}") { type position } }`))],
    [
      'addItem (64 draft orders)',
      addItemOrders.map((o) => query(`mutation { addItem(input: {orderId: "${o}", sku: "${shop.sku}", quantity: 1}) { __typename } }`)),
    ],
    // Ids of their own per request: a repeated id would be refused, not created.
    [
      'createOrder (new ids)',
      Array.from({ length: 50_000 }, (_, i) =>
        query(
          `mutation { createOrder(input: {customerId: "${shop.customerOf(i)}", orderId: "scale-new-${Date.now()}-${i}"}) { __typename } }`,
        ),
      ),
    ],
  ];
}
