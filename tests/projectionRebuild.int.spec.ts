import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import type { Authentication } from '../src/auth/actor.js';
import { runCommand } from '../src/commands/pipeline.js';
import { loadConfig } from '../src/config.js';
import { forgetCustomer, registerCustomer } from '../src/customers/customerCommands.js';
import { createLogger } from '../src/logger.js';
import { addItem, cancelOrder, createOrder, recordPayment, removeItem, submitOrder } from '../src/orders/orderCommands.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import type { Services } from '../src/services.js';
import { PROJECTIONS } from '../src/features.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { createServices } from '../src/services.js';
import { FEATURES } from '../src/features.js';

let testDb: TestDatabase;
let services: Services;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const admin: Authentication = { actor: { kind: 'user', sub: 'root', role: 'admin' } };
const run = (definition: Parameters<typeof runCommand>[0], input: Record<string, unknown>, auth = staff) =>
  runCommand(definition, input, { auth, services, requestId: 'rebuild-test' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = testDb.connect({ poolSize: 12 });
  services = createServices({ config: loadConfig({ NODE_ENV: 'test' }), logger: createLogger('silent'), db, features: FEATURES });
  await services.eventStore.start();
  services.readSide.start();
});
afterAll(async () => {
  await services.readSide.stop();
  await services.eventStore.stop();
  await testDb.drop();
});

/** A mix of every kind of command, so every projection has work. */
async function shop(round: number): Promise<string> {
  let position = '0';
  const sku = `SKU-${round}`;
  await run(addProduct, { sku, name: `Product ${round}`, priceCents: 100 + round, initialStock: 20 });
  const customer = await run(registerCustomer, { name: `Customer ${round}`, email: `c${round}@example.com` });
  for (let i = 0; i < 3; i++) {
    const orderId = `o-${round}-${i}`;
    await run(createOrder, { customerId: customer.aggregateId, orderId });
    await run(addItem, { orderId, sku, quantity: i + 1 });
    await run(submitOrder, { orderId });
    if (i > 0)
      position = (await run(recordPayment, { orderId, amountCents: (i + 1) * (100 + round), paymentRef: `pay-${round}-${i}` })).position;
    if (i === 2) position = (await run(cancelOrder, { orderId, reason: 'test' })).position;
  }
  position = (await run(restockProduct, { sku, quantity: 5 })).position;
  return position;
}

async function tableRows(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const projection of PROJECTIONS) {
    for (const table of projection.tables) {
      out[table] = (await services.db.pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
    }
  }
  return out;
}

/** Every index of the projections' tables, by table. */
async function indexes(): Promise<Record<string, string[]>> {
  const tables = PROJECTIONS.flatMap((p) => p.tables);
  const { rows } = await services.db.pool.query<{ tablename: string; indexdef: string }>(
    "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY tablename, indexdef",
    [tables],
  );
  const out: Record<string, string[]> = {};
  for (const { tablename, indexdef } of rows) (out[tablename] ??= []).push(indexdef);
  expect(Object.keys(out).sort()).toEqual([...tables].sort());
  return out;
}

describe('rebuilding projections', () => {
  it('rebuilds every projection into tables equal row for row to the incrementally built ones', async () => {
    let position = '0';
    for (let round = 0; round < 6; round++) position = await shop(round);
    await services.readSide.waitFor(
      PROJECTIONS.map((p) => p.name),
      BigInt(position),
    );
    const before = await tableRows();
    const indexesBefore = await indexes();
    expect(before.order_summaries).toHaveLength(18);

    const bulk: string[] = [];
    for (const projection of PROJECTIONS) {
      const result = await rebuildProjection(services.db.pool, services.eventStore, projection);
      expect(result.position).toBe(BigInt(position));
      if (result.bulk) bulk.push(projection.name);
    }
    expect(await tableRows()).toEqual(before);
    expect(bulk).toContain('orders');
    // A bulk rebuild builds its secondary indexes after loading: the swapped-in tables have them all.
    expect(await indexes()).toEqual(indexesBefore);
  });

  it('rebuilds orders in bulk across read batches and writes of held rows into the same rows as the live path', async () => {
    // Tiny batches and a tiny bound on held rows: orders are written mid-way, read back when their
    // next event comes (lines added, changed and removed since), and written again.
    const customer = await run(registerCustomer, { name: 'Bulk', email: 'bulk@example.com' });
    await run(addProduct, { sku: 'BULK-A', name: 'A', priceCents: 250, initialStock: 100 });
    await run(addProduct, { sku: 'BULK-B', name: 'B', priceCents: 400, initialStock: 100 });
    let position = '0';
    for (let i = 0; i < 3; i++) {
      const orderId = `bulk-${i}`;
      await run(createOrder, { customerId: customer.aggregateId, orderId });
      await run(addItem, { orderId, sku: 'BULK-A', quantity: 2 });
      await shop(200 + i);
      await run(addItem, { orderId, sku: 'BULK-B', quantity: 1 + i });
      await run(removeItem, { orderId, sku: 'BULK-A', quantity: 1 });
      await run(addItem, { orderId, sku: 'BULK-A', quantity: 3 });
      position = (await run(removeItem, { orderId, sku: 'BULK-B', quantity: 1 + i })).position;
      if (i === 1) position = (await run(submitOrder, { orderId })).position;
    }
    const orders = PROJECTIONS.find((p) => p.name === 'orders')!;
    await services.readSide.waitFor(['orders'], BigInt(position));
    const before = await tableRows();
    expect(before.order_lines).toContainEqual(expect.objectContaining({ order_id: 'bulk-2', sku: 'BULK-A', quantity: 4 }));

    const result = await rebuildProjection(services.db.pool, services.eventStore, orders, { bulkBatch: 7, bulkHeldRows: 5 });
    expect(result).toMatchObject({ bulk: true, position: BigInt(position) });
    const after = await tableRows();
    for (const table of orders.tables) expect(after[table]).toEqual(before[table]);
  });

  it('gives back every connection it lent to its bulk path with the pool’s own settings (search path, timeout, sort memory)', async () => {
    // A pool of its own (the server's is also the live runners'), taken whole so no connection escapes the check.
    const { pool } = testDb.connect({ poolSize: 4 });
    const settingsOfAll = async () => {
      const sessions = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
      try {
        const rows = await Promise.all(
          sessions.map(async (session) => {
            const { rows } = await session.query<{ settings: string }>(
              "SELECT concat_ws(' | ', current_setting('search_path'), current_setting('statement_timeout'), current_setting('maintenance_work_mem')) AS settings",
            );
            return rows[0]!.settings;
          }),
        );
        return [...new Set(rows)];
      } finally {
        for (const session of sessions) session.release();
      }
    };
    const before = await settingsOfAll();
    expect(before).toHaveLength(1);
    const orders = PROJECTIONS.find((p) => p.name === 'orders')!;
    await rebuildProjection(pool, services.eventStore, orders, { bulkBatch: 7, bulkHeldRows: 5 });
    expect(await settingsOfAll()).toEqual(before);
  });

  it("rebuilds orders in bulk with each customer's current name: registered after the order, in the previous release's shape, forgotten", async () => {
    await run(addProduct, { sku: 'NAMES-A', name: 'A', priceCents: 300, initialStock: 100 });
    const ada = (await run(registerCustomer, { name: 'Ada Names', email: 'ada.names@example.com' })).aggregateId;
    const grace = (await run(registerCustomer, { name: 'Grace Names', email: 'grace.names@example.com' })).aggregateId;
    // Orders whose customer registers later (createOrder refuses an unknown customer: appended as is).
    const late = randomUUID();
    for (const orderId of ['names-late-1', 'names-late-2']) {
      await services.eventStore.append({
        streams: [
          {
            streamId: `Order-${orderId}`,
            streamType: 'Order',
            expectedVersion: 0,
            events: [{ type: 'OrderCreated', data: { orderId, customerId: late } }],
          },
        ],
      });
    }
    for (let i = 0; i < 3; i++) {
      for (const [orderId, customerId] of [
        [`names-ada-${i}`, ada],
        [`names-grace-${i}`, grace],
      ] as const) {
        await run(createOrder, { customerId, orderId });
        await run(addItem, { orderId, sku: 'NAMES-A', quantity: 1 + i });
      }
      await shop(300 + i);
    }
    // An order event without its order (its creation skipped): the fold skips it, and it has no history row.
    await services.eventStore.append({
      streams: [
        {
          streamId: 'Order-names-orphan',
          streamType: 'Order',
          events: [{ type: 'ItemAdded', data: { sku: 'NAMES-A', name: 'A', quantity: 1, unitPriceCents: 300 } }],
        },
      ],
    });
    // The late customer registers as the previous release wrote it: version 1, plain text (upcast on read).
    await services.db.pool.query(
      `INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata)
       VALUES ($1, 'Customer', 1, 'CustomerRegistered', 1, $2, '{"actor": "anonymous"}')`,
      [`Customer-${late}`, JSON.stringify({ customerId: late, name: 'Late Names', email: 'late.names@example.com' })],
    );
    // One of them changes again after that, the other does not.
    await run(addItem, { orderId: 'names-late-2', sku: 'NAMES-A', quantity: 2 });
    await shop(303);
    // Ada is forgotten after her orders: her sealed registration reads without a name from then on.
    await run(forgetCustomer, { customerId: ada }, admin);
    const position = (await run(addItem, { orderId: 'names-grace-0', sku: 'NAMES-A', quantity: 1 })).position;
    const orders = PROJECTIONS.find((p) => p.name === 'orders')!;
    await services.readSide.waitFor(['orders'], BigInt(position));
    const before = await tableRows();
    const names = async () =>
      (await services.db.pool.query("SELECT order_id, customer_name FROM order_summaries WHERE order_id LIKE 'names-%' ORDER BY order_id"))
        .rows;
    expect(await names()).toEqual([
      ...[0, 1, 2].map((i) => ({ order_id: `names-ada-${i}`, customer_name: null })),
      ...[0, 1, 2].map((i) => ({ order_id: `names-grace-${i}`, customer_name: 'Grace Names' })),
      { order_id: 'names-late-1', customer_name: 'Late Names' },
      { order_id: 'names-late-2', customer_name: 'Late Names' },
    ]);
    expect(before.order_history).not.toContainEqual(expect.objectContaining({ order_id: 'names-orphan' }));
    expect(before.order_customer_names).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ customer_id: ada, name: null }),
        expect.objectContaining({ customer_id: late, name: 'Late Names' }),
      ]),
    );

    // All held until the end, then written mid-way many times (customers' names changing between writes).
    for (const options of [{}, { bulkBatch: 7, bulkHeldRows: 5 }, { bulkBatch: 3, bulkHeldRows: 1 }]) {
      const result = await rebuildProjection(services.db.pool, services.eventStore, orders, options);
      expect(result).toMatchObject({ bulk: true, position: BigInt(position) });
      const after = await tableRows();
      for (const table of orders.tables) expect({ options, table, rows: after[table] }).toEqual({ options, table, rows: before[table] });
    }
  });

  it('keeps serving the old tables while rebuilding, and the live runner carries on after the swap', async () => {
    let position = await shop(100);
    await services.readSide.waitFor(['orders'], BigInt(position));
    const count = async () => Number((await services.db.pool.query('SELECT count(*) FROM order_summaries')).rows[0].count);
    const expected = await count();
    let reading = true;
    const seen: number[] = [];
    const reader = (async () => {
      while (reading) seen.push(await count());
    })();
    await rebuildProjection(
      services.db.pool,
      services.eventStore,
      PROJECTIONS.find((p) => p.name === 'orders')!,
    );
    reading = false;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([expected]));

    position = await shop(101);
    await services.readSide.waitFor(['orders'], BigInt(position));
    expect(await count()).toBe(expected + 3);
  });
});
