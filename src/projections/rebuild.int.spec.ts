import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Authentication } from '../auth/actor.js';
import { runCommand } from '../commands/pipeline.js';
import { loadConfig } from '../config.js';
import { registerCustomer } from '../customers/customerCommands.js';
import { createLogger } from '../logger.js';
import { addItem, cancelOrder, createOrder, recordPayment, submitOrder } from '../orders/orderCommands.js';
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

describe('rebuilding projections', () => {
  it('rebuilds every projection into tables equal row for row to the incrementally built ones', async () => {
    let position = '0';
    for (let round = 0; round < 6; round++) position = await shop(round);
    await services.readSide.waitFor(
      PROJECTIONS.map((p) => p.name),
      BigInt(position),
    );
    const before = await tableRows();
    expect(before.order_summaries).toHaveLength(18);

    for (const projection of PROJECTIONS) {
      const result = await rebuildProjection(services.db.pool, services.eventStore, projection);
      expect(result.position).toBe(BigInt(position));
    }
    expect(await tableRows()).toEqual(before);
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
