import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Authentication } from '../auth/actor.js';
import { runCommand } from '../commands/pipeline.js';
import { loadConfig } from '../config.js';
import { registerCustomer } from '../customers/customerCommands.js';
import { createLogger } from '../logger.js';
import { addItem, cancelOrder, createOrder, recordPayment, removeItem, submitOrder } from '../orders/orderCommands.js';
import { addProduct, restockProduct } from '../products/productCommands.js';
import type { Services } from '../services.js';
import { PROJECTIONS } from '../features.js';
import { rebuildProjection } from './rebuild.js';
import { createServices } from '../services.js';
import { FEATURES } from '../features.js';

let testDb: TestDatabase;
let services: Services;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const run = (definition: Parameters<typeof runCommand>[0], input: Record<string, unknown>) =>
  runCommand(definition, input, { auth: staff, services, requestId: 'rebuild-test' });

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
