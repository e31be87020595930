import pg from 'pg';
import { appendBatch } from '../../src/eventStore/append.js';
import type { AppendRequest } from '../../src/eventStore/types.js';

// A shop's log written straight with the event store's append (no commands, no HTTP), so a read
// benchmark can start from a hundred thousand orders in seconds; the projections then build the
// read models from it as they would from any log.

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Niklaus'];
const FIRST_MORE = ['Ken', 'Radia', 'Tony', 'Leslie', 'Hedy', 'Dennis', 'Sophie', 'Linus', 'Annie', 'Robin'];
const SURNAME_STARTS = ['Ander', 'Bel', 'Car', 'Dun', 'Ell', 'Fitz', 'Gar', 'Hol', 'Iver', 'Jen'];
const SURNAME_ENDS = ['son', 'ton', 'ley', 'man', 'wood', 'field', 'berg', 'ford', 'ridge', 'well'];
const PRODUCT_WORDS = ['Walnut', 'Copper', 'Linen', 'Granite', 'Maple', 'Cobalt', 'Velvet', 'Amber', 'Slate', 'Birch'];
const PRODUCT_KINDS = ['Desk Lamp', 'Teapot', 'Notebook', 'Backpack', 'Chair', 'Kettle', 'Blanket', 'Mug', 'Shelf', 'Clock'];

/** 20 first names × 100 surnames: each full name is shared by customers/2,000 customers. */
const FIRST = [...FIRST_NAMES, ...FIRST_MORE];
const SURNAMES = SURNAME_STARTS.flatMap((s) => SURNAME_ENDS.map((e) => `${s}${e}`));

export interface SeededShop {
  orders: number;
  customers: number;
  /** `bench-<n>` order ids, in the order they were created. */
  orderId(n: number): string;
  /** A surname (matched by about orders/100 orders) and a full name (about orders/2,000), for the nth search. */
  surname(n: number): string;
  fullName(n: number): string;
  /** A product every server of the benchmark can add to orders. */
  sku: string;
  /** When the first and the last order were created (spread evenly over the last day). */
  from: Date;
  to: Date;
}

const customerName = (c: number) => `${FIRST[c % FIRST.length]} ${SURNAMES[Math.floor(c / FIRST.length) % SURNAMES.length]}`;
const productSku = (p: number) => `SKU-${String(p).padStart(4, '0')}`;
const productName = (p: number) => `${PRODUCT_WORDS[p % 10]} ${PRODUCT_KINDS[Math.floor(p / 10) % 10]} ${Math.floor(p / 100) + 1}`;

/**
 * Appends `products` products, orders/5 customers (`CustomerRegistered` as the previous release
 * wrote it: name and email in plain text, upcast on read) and `orders` orders over the last 24
 * hours, each created with 1 to 3 lines and submitted; 7 in 10 paid, 1 in 20 cancelled. Every
 * order's events carry the moment they occurred (the sales buckets count by it).
 */
export async function seedShop(url: string, orders: number, products = 1_000): Promise<SeededShop> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const customers = Math.max(1, Math.floor(orders / 5));
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3_600_000 + 60_000);
  const at = (n: number) => new Date(from.getTime() + Math.floor(((to.getTime() - from.getTime()) * n) / Math.max(1, orders - 1)));
  try {
    const write = async (requests: AppendRequest[]) => {
      for (let i = 0; i < requests.length; i += 500) {
        const outcomes = await appendBatch(pool, requests.slice(i, i + 500));
        const failed = outcomes.find((o) => o instanceof Error);
        if (failed) throw failed;
      }
    };
    const seedAt = from.toISOString();
    await write(
      Array.from({ length: products }, (_, p) => ({
        streams: [
          {
            streamId: `Product-${productSku(p)}`,
            streamType: 'Product',
            expectedVersion: 0,
            events: [
              {
                type: 'ProductAdded',
                data: { sku: productSku(p), name: productName(p), priceCents: 100 + (p % 50) * 25, initialStock: 1_000_000 },
              },
            ],
          },
        ],
        metadata: { actor: 'staff:bench', occurredAt: seedAt },
      })),
    );
    await write(
      Array.from({ length: customers }, (_, c) => ({
        streams: [
          {
            streamId: `Customer-customer-${c}`,
            streamType: 'Customer',
            expectedVersion: 0,
            events: [
              {
                type: 'CustomerRegistered',
                schemaVersion: 1,
                data: { customerId: `customer-${c}`, name: customerName(c), email: `buyer${c}@example.com` },
              },
            ],
          },
        ],
        metadata: { actor: 'staff:bench', occurredAt: seedAt },
      })),
    );
    for (let start = 0; start < orders; start += 5_000) {
      const requests: AppendRequest[] = [];
      for (let n = start; n < Math.min(orders, start + 5_000); n++) {
        const orderId = `bench-${n}`;
        const lines = Array.from({ length: 1 + (n % 3) }, (_, l) => {
          const p = (n * 7 + l * 131) % products;
          return { sku: productSku(p), name: productName(p), quantity: 1 + ((n + l) % 4), unitPriceCents: 100 + (p % 50) * 25 };
        });
        const total = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
        const events = [
          { type: 'OrderCreated', data: { orderId, customerId: `customer-${n % customers}` } },
          ...lines.map((line) => ({ type: 'ItemAdded', data: line })),
          { type: 'OrderSubmitted', data: { totalCents: total, lines: lines.map(({ sku, quantity }) => ({ sku, quantity })) } },
          ...(n % 10 < 7 ? [{ type: 'PaymentRecorded', data: { amountCents: total, paymentRef: `pay-${orderId}` } }] : []),
          ...(n % 20 === 19 ? [{ type: 'OrderCancelled', data: { reason: 'changed mind', previousStatus: 'SUBMITTED' } }] : []),
        ];
        requests.push({
          streams: [{ streamId: `Order-${orderId}`, streamType: 'Order', expectedVersion: 0, events }],
          metadata: { actor: 'staff:bench', occurredAt: at(n).toISOString() },
        });
      }
      await write(requests);
    }
    await pool.query('ANALYZE');
  } finally {
    await pool.end();
  }
  return {
    orders,
    customers,
    orderId: (n) => `bench-${n}`,
    surname: (n) => SURNAMES[(n * 37) % SURNAMES.length]!,
    fullName: (n) => customerName((n * 7919) % customers),
    sku: productSku(0),
    from,
    to,
  };
}

/** Waits until the named projections' checkpoints have all reached the log's head; returns the ms it took. */
export async function waitForProjections(url: string, names: readonly string[], timeoutMs = 1_800_000): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await client.query<{ head: string; at: Record<string, string> | null }>(
        `SELECT (SELECT coalesce(max(position), 0) FROM events) AS head,
                (SELECT jsonb_object_agg(name, position) FROM projection_checkpoints WHERE name = ANY($1)) AS at`,
        [names],
      );
      const { head, at } = rows[0]!;
      const behind = names.filter((n) => BigInt(at?.[n] ?? -1) < BigInt(head));
      if (behind.length === 0) return performance.now() - started;
      if (performance.now() - started > timeoutMs) {
        throw new Error(`projections still behind head ${head}: ${behind.map((n) => `${n} at ${at?.[n] ?? 'none'}`).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await client.end();
  }
}
