import type pg from 'pg';
import type { ShopPlan } from './sqlShop.js';

type Step = (name: string, work: () => Promise<unknown>) => Promise<void>;

/** Orders written per statement: bounds the memory of each sort and reports progress on big logs. */
const CHUNK = 100_000;

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Niklaus'].concat([
  'Ken',
  'Radia',
  'Tony',
  'Leslie',
  'Hedy',
  'Dennis',
  'Sophie',
  'Linus',
  'Annie',
  'Robin',
]);
const SURNAMES = ['Ander', 'Bel', 'Car', 'Dun', 'Ell', 'Fitz', 'Gar', 'Hol', 'Iver', 'Jen'].flatMap((s) =>
  ['son', 'ton', 'ley', 'man', 'wood', 'field', 'berg', 'ford', 'ridge', 'well'].map((e) => `${s}${e}`),
);
const WORDS = ['Walnut', 'Copper', 'Linen', 'Granite', 'Maple', 'Cobalt', 'Velvet', 'Amber', 'Slate', 'Birch'];
const KINDS = ['Desk Lamp', 'Teapot', 'Notebook', 'Backpack', 'Chair', 'Kettle', 'Blanket', 'Mug', 'Shelf', 'Clock'];
const array = (values: string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(',')}]`;

/** An ISO 8601 text of a timestamptz expression, as the server writes `occurredAt`. */
export const iso = (at: string) => `to_char((${at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const metadata = (at: string, key: string, actor = "'staff:bench'") =>
  `jsonb_build_object('commandId', md5(${key})::uuid::text, 'correlationId', md5(${key} || 'r')::uuid::text,
     'causationId', md5(${key} || 'r')::uuid::text, 'actor', ${actor}, 'occurredAt', ${iso(at)}, 'trace', '{}'::jsonb)`;

/**
 * The shop's plan in two temporary tables (`scale_orders`, `scale_lines`), then its log: products,
 * customers, then each order's events in order, with the stock changes they caused on product
 * streams (versions counted across the whole log) and the payment references they claimed.
 */
export async function writeShopLog(client: pg.Client, plan: ShopPlan, step: Step): Promise<void> {
  const { orders, customers, products, gapMs } = plan;
  const end = `'${plan.end.toISOString()}'::timestamptz`;
  const start = `(${end} - interval '1 millisecond' * ${gapMs} * ${orders} - interval '1 day')`;
  await step('plan', async () => {
    await client.query(`CREATE TEMP TABLE scale_orders AS
      SELECT n, 'scale-' || n AS order_id, 'customer-' || (n % ${customers}) AS customer_id,
             ${end} - interval '1 millisecond' * ${gapMs} * (${orders} - 1 - n) AS t, 1 + n % 4 AS line_count,
             CASE WHEN n % 20 = 0 THEN 'DRAFT'
                  WHEN n % 20 < 3 THEN CASE WHEN ${gapMs}::bigint * (${orders} - 1 - n) < 1500000 THEN 'SUBMITTED' ELSE 'EXPIRED' END
                  WHEN n % 20 < 10 THEN 'PAID' WHEN n % 20 < 15 THEN 'SHIPPED' WHEN n % 20 < 17 THEN 'DELIVERED'
                  WHEN n % 20 < 19 THEN 'CANCELLED' ELSE 'EXPIRED' END AS status
      FROM generate_series(0, ${orders - 1}) n`);
    await client.query(`CREATE TEMP TABLE scale_lines AS
      SELECT o.n, l AS line_no, p, 'SKU-' || lpad(p::text, 4, '0') AS sku,
             (${array(WORDS)})[p % 10 + 1] || ' ' || (${array(KINDS)})[(p / 10) % 10 + 1] || ' ' || (p / 100 + 1) AS name,
             1 + (o.n + l) % 4 AS quantity, 100 + (p % 50) * 25 AS unit_price_cents,
             CASE WHEN o.status = 'DRAFT' THEN 0 WHEN o.status IN ('SUBMITTED', 'PAID') THEN 1 ELSE 2 END AS stock_events
      FROM scale_orders o, generate_series(1, o.line_count) l, LATERAL (SELECT (o.n * 7 + l * 131) % ${products} AS p) pp`);
    // Each line's stock events follow every earlier order's on the same product (ProductAdded is 1).
    await client.query(`ALTER TABLE scale_lines ADD COLUMN before int`);
    await client.query(`UPDATE scale_lines s SET before = 1 + w.before FROM (
        SELECT n, line_no, coalesce(sum(stock_events) OVER (PARTITION BY sku ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM scale_lines) w WHERE w.n = s.n AND w.line_no = s.line_no`);
    await client.query(`ALTER TABLE scale_orders ADD COLUMN total int, ADD COLUMN submitted_lines jsonb`);
    await client.query(`UPDATE scale_orders o SET total = l.total, submitted_lines = l.lines FROM (
        SELECT n, sum(quantity * unit_price_cents)::int AS total, jsonb_agg(jsonb_build_object('sku', sku, 'quantity', quantity) ORDER BY line_no) AS lines
        FROM scale_lines GROUP BY n) l WHERE l.n = o.n`);
    await client.query('CREATE INDEX ON scale_orders (n); CREATE INDEX ON scale_lines (n); ANALYZE scale_orders; ANALYZE scale_lines');
  });
  await step('products and customers', async () => {
    await client.query(`INSERT INTO events (stream_id, stream_type, version, type, data, metadata, recorded_at)
      SELECT 'Product-' || sku, 'Product', 1, 'ProductAdded',
             jsonb_build_object('sku', sku, 'name', name, 'priceCents', price, 'initialStock', 100000000), ${metadata(start, "'product' || p")}, ${start}
      FROM (SELECT p, 'SKU-' || lpad(p::text, 4, '0') AS sku, 100 + (p % 50) * 25 AS price,
                   (${array(WORDS)})[p % 10 + 1] || ' ' || (${array(KINDS)})[(p / 10) % 10 + 1] || ' ' || (p / 100 + 1) AS name
            FROM generate_series(0, ${products - 1}) p) x ORDER BY p`);
    // Every thousandth customer (and the last) has a surname of their own: the rare search.
    await client.query(`INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at)
      SELECT 'Customer-customer-' || c, 'Customer', 1, 'CustomerRegistered', 1,
             jsonb_build_object('customerId', 'customer-' || c, 'email', 'buyer' || c || '@example.com', 'name',
               (${array(FIRST)})[c % 20 + 1] || ' ' || CASE WHEN c % 1000 = 999 OR c = ${customers - 1} THEN 'Rare' || c ELSE (${array(SURNAMES)})[(c / 20) % 100 + 1] END),
             ${metadata(start, "'customer' || c")}, ${start}
      FROM generate_series(0, ${customers - 1}) c ORDER BY c`);
  });
  // The log's secondary indexes are built once after the load: faster than keeping them up to date.
  const { rows: secondary } = await client.query<{ name: string; definition: string }>(
    "SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'events' AND indexdef NOT LIKE 'CREATE UNIQUE%'",
  );
  for (const index of secondary) await client.query(`DROP INDEX "${index.name}"`);
  for (let from = 0; from < orders; from += CHUNK) {
    await step(`orders ${from}-${Math.min(orders, from + CHUNK) - 1}`, () =>
      client.query(ordersChunkSql(from, Math.min(orders, from + CHUNK))),
    );
  }
  await step('log indexes', async () => {
    for (const index of secondary) await client.query(index.definition);
  });
}

/** Every event of orders [from, to), in order: each order's own, then what it did to other streams. */
function ordersChunkSql(from: number, to: number): string {
  const orderEvent = (k: number, type: string, version: string, at: string, data: string, where: string, actor?: string) =>
    `SELECT o.n, ${k} AS k, 0 AS sub, 'Order-' || o.order_id AS stream_id, 'Order' AS stream_type, ${version} AS version,
            '${type}' AS type, ${data} AS data, ${at} AS at, ${metadata(at, `o.order_id || '${k}'`, actor)} AS metadata
     FROM scale_orders o WHERE o.n >= ${from} AND o.n < ${to} AND ${where}`;
  const stockEvent = (k: number, type: string, version: string, at: string, where: string, actor?: string) =>
    `SELECT o.n, ${k}, l.line_no, 'Product-' || l.sku, 'Product', ${version}, '${type}',
            jsonb_build_object('orderId', o.order_id, 'quantity', l.quantity), ${at}, ${metadata(at, `o.order_id || '${k}'`, actor)}
     FROM scale_orders o JOIN scale_lines l ON l.n = o.n WHERE o.n >= ${from} AND o.n < ${to} AND ${where}`;
  const submitted = "o.status <> 'DRAFT'";
  const paid = "o.status IN ('PAID', 'SHIPPED', 'DELIVERED')";
  const shipped = "o.status IN ('SHIPPED', 'DELIVERED')";
  const released = "o.status IN ('CANCELLED', 'EXPIRED')";
  const total = 'o.total';
  const expiresAt = "o.t + interval '1830 seconds'";
  const endAt = (status: string, otherwise: string) => `CASE WHEN o.status = 'EXPIRED' THEN ${status} ELSE ${otherwise} END`;
  const parts = [
    orderEvent(0, 'OrderCreated', '1', 'o.t', "jsonb_build_object('orderId', o.order_id, 'customerId', o.customer_id)", 'true'),
    `SELECT o.n, 1, l.line_no, 'Order-' || o.order_id, 'Order', 1 + l.line_no, 'ItemAdded',
            jsonb_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents),
            o.t + interval '5 seconds' * l.line_no, ${metadata("o.t + interval '5 seconds' * l.line_no", 'o.order_id || l.line_no')}
     FROM scale_orders o JOIN scale_lines l ON l.n = o.n WHERE o.n >= ${from} AND o.n < ${to}`,
    orderEvent(
      2,
      'OrderSubmitted',
      'o.line_count + 2',
      "o.t + interval '30 seconds'",
      `jsonb_build_object('totalCents', ${total}, 'lines', o.submitted_lines)`,
      submitted,
    ),
    stockEvent(2, 'StockReserved', 'l.before + 1', "o.t + interval '30 seconds'", submitted),
    orderEvent(
      3,
      'PaymentRecorded',
      'o.line_count + 3',
      "o.t + interval '60 seconds'",
      `jsonb_build_object('amountCents', ${total}, 'paymentRef', 'pay-' || o.order_id)`,
      paid,
    ),
    `SELECT o.n, 3, 1, 'PaymentRef-pay-' || o.order_id, 'PaymentRef', 1, 'PaymentRefClaimed', jsonb_build_object('orderId', o.order_id),
            o.t + interval '60 seconds', ${metadata("o.t + interval '60 seconds'", "o.order_id || '3'")}
     FROM scale_orders o WHERE o.n >= ${from} AND o.n < ${to} AND ${paid}`,
    orderEvent(
      3,
      'OrderCancelled',
      'o.line_count + 3',
      "o.t + interval '60 seconds'",
      `jsonb_build_object('reason', 'changed mind', 'previousStatus', 'SUBMITTED')`,
      "o.status = 'CANCELLED'",
    ),
    orderEvent(
      3,
      'OrderExpired',
      'o.line_count + 3',
      expiresAt,
      `jsonb_build_object('paymentDueAt', ${iso(expiresAt)})`,
      "o.status = 'EXPIRED'",
      "'system:payment-deadlines'",
    ),
    stockEvent(
      3,
      'StockReleased',
      'l.before + 2',
      endAt(expiresAt, "o.t + interval '60 seconds'"),
      released,
      endAt("'system:payment-deadlines'", "'staff:bench'"),
    ),
    orderEvent(
      4,
      'OrderShipped',
      'o.line_count + 4',
      "o.t + interval '90 seconds'",
      "jsonb_build_object('carrier', 'DHL', 'trackingNumber', 'TRK' || o.n)",
      shipped,
    ),
    stockEvent(4, 'StockShipped', 'l.before + 2', "o.t + interval '90 seconds'", shipped),
    orderEvent(5, 'OrderDelivered', 'o.line_count + 5', "o.t + interval '120 seconds'", "'{}'::jsonb", "o.status = 'DELIVERED'"),
  ];
  return `INSERT INTO events (stream_id, stream_type, version, type, data, metadata, recorded_at)
    SELECT stream_id, stream_type, version, type, data, metadata, at
    FROM (${parts.join('\n UNION ALL ')}) e(n, k, sub, stream_id, stream_type, version, type, data, at, metadata)
    ORDER BY n, k, sub`;
}
