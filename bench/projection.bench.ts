import { connectDatabase, type Database } from '../src/db/database.js';
import { appendBatch } from '../src/eventStore/append.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import type { AppendRequest } from '../src/eventStore/types.js';
import { createLogger } from '../src/logger.js';
import { ordersProjection } from '../src/orders/orderProjection.js';
import { ReadSide } from '../src/projections/readSide.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median } from './lib/measure.js';

const EVENTS_PER_ORDER = 10;

/** An order's life in 10 events: created, 6 items, submitted, paid, shipped. */
function orderLife(orderId: string, occurredAt: string): AppendRequest {
  const items = Array.from({ length: 6 }, (_, i) => ({
    type: 'ItemAdded',
    data: { sku: `SKU-${i}`, name: `Item ${i}`, quantity: i + 1, unitPriceCents: 150 * (i + 1) },
  }));
  return {
    streams: [
      {
        streamId: `Order-${orderId}`,
        streamType: 'Order',
        expectedVersion: 0,
        events: [
          { type: 'OrderCreated', data: { orderId, customerId: `customer-${orderId.length % 97}` } },
          ...items,
          { type: 'OrderSubmitted', data: { totalCents: 0, lines: [] } },
          { type: 'PaymentRecorded', data: { amountCents: 1, paymentRef: `pay-${orderId}` } },
          { type: 'OrderShipped', data: { carrier: 'DHL', trackingNumber: `T-${orderId}` } },
        ],
      },
    ],
    metadata: { actor: 'bench', occurredAt },
  };
}

async function seed(db: Database, orders: number): Promise<void> {
  const at = new Date().toISOString();
  for (let start = 0; start < orders; start += 250) {
    const requests = Array.from({ length: Math.min(250, orders - start) }, (_, i) => orderLife(`bench-${start + i}`, at));
    await appendBatch(db.pool, requests);
  }
}

async function resetOrders(db: Database): Promise<void> {
  await db.pool.query("TRUNCATE order_summaries, order_lines, order_history; DELETE FROM projection_checkpoints WHERE name = 'orders'");
}

/** Catch-up: a runner starting from position 0 until its checkpoint reaches the head. */
async function catchUp(db: Database, eventStore: EventStore, head: bigint): Promise<number> {
  await resetOrders(db);
  const readSide = new ReadSide({ db, eventStore, logger: createLogger('silent'), consistencyTimeoutMs: 600_000 }, [ordersProjection]);
  const started = performance.now();
  readSide.start();
  await readSide.waitFor(['orders'], head);
  const ms = performance.now() - started;
  await readSide.stop();
  return ms;
}

/** The ceiling: one INSERT ... SELECT that builds the order summary table straight from the log. */
async function ceiling(db: Database): Promise<number> {
  await db.pool.query(
    'DROP TABLE IF EXISTS ceiling_order_summaries; CREATE TABLE ceiling_order_summaries (LIKE order_summaries INCLUDING ALL)',
  );
  const started = performance.now();
  await db.pool.query(`
    INSERT INTO ceiling_order_summaries (order_id, customer_id, status, total_cents, item_count, version, created_at, updated_at, last_position)
    SELECT substr(stream_id, 7),
           max(data->>'customerId') FILTER (WHERE type = 'OrderCreated'),
           (array_agg(CASE type WHEN 'OrderCreated' THEN 'DRAFT' WHEN 'OrderSubmitted' THEN 'SUBMITTED' WHEN 'PaymentRecorded' THEN 'PAID'
                       WHEN 'OrderShipped' THEN 'SHIPPED' WHEN 'OrderDelivered' THEN 'DELIVERED' WHEN 'OrderCancelled' THEN 'CANCELLED' END ORDER BY version DESC)
              FILTER (WHERE type IN ('OrderCreated', 'OrderSubmitted', 'PaymentRecorded', 'OrderShipped', 'OrderDelivered', 'OrderCancelled')))[1],
           coalesce(sum((data->>'quantity')::int * (data->>'unitPriceCents')::int) FILTER (WHERE type = 'ItemAdded'), 0),
           coalesce(sum((data->>'quantity')::int) FILTER (WHERE type = 'ItemAdded'), 0),
           max(version), min(recorded_at), max(recorded_at), max(position)
    FROM events WHERE stream_type = 'Order' GROUP BY stream_id`);
  return performance.now() - started;
}

/**
 * Projection catch-up and rebuild of the `orders` projection (summaries, lines and history) over
 * 100,000 events, vs one INSERT ... SELECT that builds just the summary table (the ceiling).
 */
export async function runProjectionBench(): Promise<string[]> {
  const { runs, quick } = benchOptions();
  const orders = quick ? 2_000 : 10_000;
  const events = orders * EVENTS_PER_ORDER;
  const server = await startBenchServer();
  const db = connectDatabase(await createMigratedDatabase(server, 'bench_projection'), { poolSize: 8 });
  const eventStore = new EventStore(db);
  await eventStore.start();
  await seed(db, orders);
  const head = await eventStore.headPosition();

  const catchUps: number[] = [];
  const rebuilds: number[] = [];
  const ceilings: number[] = [];
  for (let run = 0; run < runs; run++) {
    catchUps.push(events / ((await catchUp(db, eventStore, head)) / 1000));
    rebuilds.push(events / ((await rebuildProjection(db.pool, eventStore, ordersProjection)).ms / 1000));
    ceilings.push(events / ((await ceiling(db)) / 1000));
  }
  const c = median(ceilings);
  const lines = [
    `| orders projection catch-up, ${events.toLocaleString('en')} events | ${formatRate(median(catchUps))} events/s | ${formatRate(c)} events/s | ${(median(catchUps) / c).toFixed(2)}x |`,
    `| orders projection rebuild (shadow tables + swap) | ${formatRate(median(rebuilds))} events/s | ${formatRate(c)} events/s | ${(median(rebuilds) / c).toFixed(2)}x |`,
  ];
  lines.forEach((l) => console.log(l));
  await eventStore.stop();
  await db.close();
  await server.close();
  return ['| scenario | ours | INSERT ... SELECT (ceiling) | ours / ceiling |', '|---|---|---|---|', ...lines];
}
