import { loadConfig } from '../src/config.js';
import { connectDatabase, type Database } from '../src/db/database.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createLogger } from '../src/logger.js';
import { ordersProjection } from '../src/orders/orderProjection.js';
import { FEATURES } from '../src/features.js';
import { ReadSide } from '../src/projections/readSide.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { readTransformsOf, upcastersOf } from '../src/services.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median, optionValue } from './lib/measure.js';

const EVENTS_PER_ORDER = 10;
/** Orders whose events are interleaved in the log (as concurrent customers' would be). */
const INTERLEAVED = 1_000;
/** Customers of the orders (`customer-0` ...), each with a name on their orders. */
const CUSTOMERS = 97;

/**
 * Writes `orders` orders' lives straight into the log with SQL (a million events in seconds, where
 * appending them through the store would take minutes): each order is created, gets 6 items, is
 * submitted, paid and shipped; the events of each group of 1,000 orders are interleaved. Their
 * customers register as the previous release wrote it (version 1, upcast on every read): half of
 * them before any order, the other half after every order (so the orders' names change late).
 */
async function seed(db: Database, orders: number): Promise<void> {
  await registerCustomers(db, 0);
  await db.pool.query(
    `INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at)
     SELECT 'Order-bench-' || o, 'Order', e.version, e.type, 1, e.data,
            jsonb_build_object('actor', 'bench', 'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), now()
     FROM generate_series(0, $1::int - 1) AS o
     CROSS JOIN LATERAL (
       SELECT 1 AS version, 'OrderCreated' AS type, jsonb_build_object('orderId', 'bench-' || o, 'customerId', 'customer-' || (o % 97)) AS data
       UNION ALL
       SELECT 1 + i, 'ItemAdded', jsonb_build_object('sku', 'SKU-' || (i - 1), 'name', 'Item ' || (i - 1), 'quantity', i, 'unitPriceCents', 150 * i)
       FROM generate_series(1, 6) AS i
       UNION ALL SELECT 8, 'OrderSubmitted', jsonb_build_object('totalCents', 0, 'lines', '[]'::jsonb)
       UNION ALL SELECT 9, 'PaymentRecorded', jsonb_build_object('amountCents', 1, 'paymentRef', 'pay-bench-' || o)
       UNION ALL SELECT 10, 'OrderShipped', jsonb_build_object('carrier', 'DHL', 'trackingNumber', 'T-bench-' || o)
     ) AS e
     ORDER BY o / ${INTERLEAVED}, e.version, o`,
    [orders],
  );
  await registerCustomers(db, 1);
  await db.pool.query('ANALYZE events');
}

/** Registers the customers whose number modulo 2 is `parity`, as version 1 events. */
async function registerCustomers(db: Database, parity: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at)
     SELECT 'Customer-customer-' || c, 'Customer', 1, 'CustomerRegistered', 1,
            jsonb_build_object('customerId', 'customer-' || c, 'name', 'Customer ' || c, 'email', 'customer' || c || '@example.com'),
            jsonb_build_object('actor', 'bench'), now()
     FROM generate_series(0, $1::int - 1) AS c WHERE c % 2 = $2 ORDER BY c`,
    [CUSTOMERS, parity],
  );
}

async function resetOrders(db: Database): Promise<void> {
  await db.pool.query(
    "TRUNCATE order_summaries, order_lines, order_history, order_customer_names; DELETE FROM projection_checkpoints WHERE name = 'orders'",
  );
}

/** Catch-up: a runner starting from position 0 until its checkpoint reaches `upTo`. */
async function catchUp(db: Database, eventStore: EventStore, upTo: bigint): Promise<number> {
  await resetOrders(db);
  const readSide = new ReadSide({ db, eventStore, logger: createLogger('silent'), consistencyTimeoutMs: 600_000 }, [ordersProjection]);
  const started = performance.now();
  readSide.start();
  await readSide.waitFor(['orders'], upTo);
  const ms = performance.now() - started;
  await readSide.stop();
  return ms;
}

/** A rebuild of `orders`, its time and the process's peak resident memory meanwhile (sampled). */
async function rebuild(
  db: Database,
  eventStore: EventStore,
  orders: number,
  generic: boolean,
): Promise<{ ms: number; peakRss: number; baseRss: number }> {
  const baseRss = process.memoryUsage.rss();
  let peakRss = baseRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  try {
    const projection = generic ? { ...ordersProjection, rebuild: undefined } : ordersProjection;
    const { ms } = await rebuildProjection(db.pool, eventStore, projection);
    // The same tables a live projection would build: a rebuild that lost rows must not look fast.
    const {
      rows: [counts],
    } = await db.pool.query<{ s: string; l: string; h: string; n: string }>(
      `SELECT (SELECT count(*) FROM order_summaries) AS s, (SELECT count(*) FROM order_lines) AS l, (SELECT count(*) FROM order_history) AS h,
              (SELECT count(*) FROM order_summaries WHERE customer_name IS NOT NULL) AS n`,
    );
    const expected = { s: orders, l: orders * 6, h: orders * EVENTS_PER_ORDER, n: orders };
    if (Object.entries(expected).some(([table, count]) => Number(counts![table as keyof typeof expected]) !== count)) {
      throw new Error(`rebuild wrote ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
    }
    return { ms, peakRss: Math.max(peakRss, process.memoryUsage.rss()), baseRss };
  } finally {
    clearInterval(sampler);
  }
}

/** The order summaries straight from the log, each with its customer's latest name (into `ceiling_order_summaries`). */
const SUMMARIES_SQL = `
    WITH names AS (
      SELECT DISTINCT ON (data->>'customerId') data->>'customerId' AS customer_id, CASE type WHEN 'CustomerRegistered' THEN data->>'name' END AS name
      FROM events WHERE stream_type = 'Customer' ORDER BY data->>'customerId', position DESC
    )
    INSERT INTO ceiling_order_summaries
      (order_id, customer_id, status, total_cents, item_count, version, created_at, updated_at, last_position, customer_name)
    SELECT o.*, names.name FROM (
    SELECT substr(stream_id, 7),
           max(data->>'customerId') FILTER (WHERE type = 'OrderCreated'),
           (array_agg(CASE type WHEN 'OrderCreated' THEN 'DRAFT' WHEN 'OrderSubmitted' THEN 'SUBMITTED' WHEN 'PaymentRecorded' THEN 'PAID'
                       WHEN 'OrderShipped' THEN 'SHIPPED' WHEN 'OrderDelivered' THEN 'DELIVERED' WHEN 'OrderCancelled' THEN 'CANCELLED' END ORDER BY version DESC)
              FILTER (WHERE type IN ('OrderCreated', 'OrderSubmitted', 'PaymentRecorded', 'OrderShipped', 'OrderDelivered', 'OrderCancelled')))[1],
           coalesce(sum((data->>'quantity')::int * (data->>'unitPriceCents')::int) FILTER (WHERE type = 'ItemAdded'), 0),
           coalesce(sum((data->>'quantity')::int) FILTER (WHERE type = 'ItemAdded'), 0),
           max(version), min(recorded_at), max(recorded_at), max(position)
    FROM events WHERE stream_type = 'Order' GROUP BY stream_id
    ) AS o (order_id, customer_id) LEFT JOIN names USING (customer_id)`;

/**
 * The ceiling: one INSERT ... SELECT that builds the order summary table straight from the log,
 * each order with its customer's latest name (the log's plain version 1 registrations).
 */
async function ceiling(db: Database): Promise<number> {
  await db.pool.query(
    'DROP TABLE IF EXISTS ceiling_order_summaries; CREATE TABLE ceiling_order_summaries (LIKE order_summaries INCLUDING ALL)',
  );
  const started = performance.now();
  await db.pool.query(SUMMARIES_SQL);
  return performance.now() - started;
}

/**
 * The same work as the rebuild in SQL alone, in one transaction: the summaries as in `ceiling`, the
 * lines (one per order and sku, numbered in the order first added) and one history row per order
 * event, into tables like the projection's.
 */
async function sameWorkInSql(db: Database): Promise<number> {
  const tables = ['order_lines', 'order_history'];
  await db.pool.query(tables.map((t) => `DROP TABLE IF EXISTS sql_${t}; CREATE TABLE sql_${t} (LIKE ${t} INCLUDING ALL);`).join(' '));
  await db.pool.query('TRUNCATE ceiling_order_summaries');
  const started = performance.now();
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(SUMMARIES_SQL);
    await client.query(`
      INSERT INTO sql_order_lines (order_id, sku, name, quantity, unit_price_cents, line_no)
      SELECT substr(stream_id, 7), data->>'sku', (array_agg(data->>'name' ORDER BY version DESC))[1],
             sum(CASE type WHEN 'ItemAdded' THEN 1 ELSE -1 END * (data->>'quantity')::int),
             (array_agg((data->>'unitPriceCents')::int ORDER BY version DESC))[1],
             row_number() OVER (PARTITION BY stream_id ORDER BY min(version))
      FROM events WHERE stream_type = 'Order' AND type IN ('ItemAdded', 'ItemRemoved')
      GROUP BY stream_id, data->>'sku'`);
    await client.query(`
      INSERT INTO sql_order_history (position, order_id, version, type, occurred_at, data, schema_version)
      SELECT position, substr(stream_id, 7), version, type, recorded_at, data, schema_version FROM events WHERE stream_type = 'Order'`);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return performance.now() - started;
}

/** `--events N` (or `--events=N`): the log's size; 1,000,000 by default, 100,000 with `--quick`. */
function eventsOption(quick: boolean): number {
  const given = optionValue(process.argv.slice(2), 'events');
  if (given === undefined) return quick ? 100_000 : 1_000_000;
  const value = Number(given.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < EVENTS_PER_ORDER)
    throw new Error(`--events needs a whole number of at least ${EVENTS_PER_ORDER}`);
  return value;
}

const CATCH_UP_EVENTS = 100_000;
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/**
 * The `orders` projection (summaries, lines and history) rebuilt over `--events` events, and a
 * runner catching up over the first 100,000 of them (its batches are the live path's, so a longer
 * log only makes it slower to measure), vs one INSERT ... SELECT that builds just the summary
 * table (the ceiling), and vs the same work in SQL alone, in the same run.
 */
export async function runProjectionBench(): Promise<string[]> {
  const { runs, quick } = benchOptions();
  const orders = Math.floor(eventsOption(quick) / EVENTS_PER_ORDER);
  const events = orders * EVENTS_PER_ORDER + CUSTOMERS;
  // `--generic`: rebuild through `apply` batch by batch, as a projection without a bulk path does.
  const generic = process.argv.includes('--generic');
  const server = await startBenchServer();
  const db = connectDatabase(await createMigratedDatabase(server, 'bench_projection'), { poolSize: 8 });
  // Read as a server reads: the features' upcasters and read transforms (customers' personal data).
  const parts = { db, config: loadConfig({ NODE_ENV: 'development' }), logger: createLogger('silent') };
  const eventStore = new EventStore(db, undefined, undefined, {
    upcasters: upcastersOf(FEATURES),
    readTransforms: readTransformsOf(FEATURES, parts),
  });
  await eventStore.start();
  const seeding = performance.now();
  await seed(db, orders);
  console.log(`seeded ${events.toLocaleString('en')} events in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
  const catchUpEvents = Math.min(events, CATCH_UP_EVENTS);
  const {
    rows: [catchUpHead],
  } = await db.pool.query<{ position: string }>('SELECT position FROM events ORDER BY position OFFSET $1 - 1 LIMIT 1', [catchUpEvents]);

  const catchUps: number[] = [];
  const rebuilds: number[] = [];
  const ceilings: number[] = [];
  const sameWork: number[] = [];
  const memory: { peakRss: number; baseRss: number }[] = [];
  for (let run = 0; run < runs; run++) {
    catchUps.push(catchUpEvents / ((await catchUp(db, eventStore, BigInt(catchUpHead!.position))) / 1000));
    const rebuilt = await rebuild(db, eventStore, orders, generic);
    rebuilds.push(events / (rebuilt.ms / 1000));
    memory.push(rebuilt);
    ceilings.push(events / ((await ceiling(db)) / 1000));
    sameWork.push(events / ((await sameWorkInSql(db)) / 1000));
    console.log(
      `run ${run + 1}: catch-up ${formatRate(catchUps.at(-1)!)}/s, rebuild ${formatRate(rebuilds.at(-1)!)}/s (peak RSS ${mb(rebuilt.peakRss)}), ceiling ${formatRate(ceilings.at(-1)!)}/s, same work in SQL ${formatRate(sameWork.at(-1)!)}/s`,
    );
  }
  const c = median(ceilings);
  const peak = memory.reduce((a, b) => (b.peakRss > a.peakRss ? b : a));
  const lines = [
    `| orders projection catch-up, first ${catchUpEvents.toLocaleString('en')} events | ${formatRate(median(catchUps))} events/s | ${formatRate(c)} events/s | ${(median(catchUps) / c).toFixed(2)}x |`,
    `| orders projection rebuild (shadow tables + swap${generic ? ', --generic: through apply' : ''}), ${events.toLocaleString('en')} events; peak RSS ${mb(peak.peakRss)} (${mb(peak.peakRss - peak.baseRss)} above its start) | ${formatRate(median(rebuilds))} events/s | ${formatRate(c)} events/s | ${(median(rebuilds) / c).toFixed(2)}x |`,
  ];
  const sql = median(sameWork);
  const rebuildRate = median(rebuilds);
  lines.push(
    `| orders projection rebuild vs the same work in SQL alone (summaries with names, lines, history; one transaction) | ${formatRate(rebuildRate)} events/s | ${formatRate(sql)} events/s | ${(rebuildRate / sql).toFixed(2)}x (goal >= 0.8x and 100,000 events/s: ${rebuildRate / sql >= 0.8 && rebuildRate >= 100_000 ? 'met' : 'missed'}) |`,
  );
  lines.forEach((l) => console.log(l));
  await eventStore.stop();
  await db.close();
  await server.close();
  return ['| scenario | ours | INSERT ... SELECT (ceiling) | ours / ceiling |', '|---|---|---|---|', ...lines];
}
