import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Authentication } from '../auth/actor.js';
import { runCommand } from '../commands/pipeline.js';
import { loadConfig } from '../config.js';
import { registerCustomer } from '../customers/customerCommands.js';
import { FEATURES, PROJECTIONS } from '../features.js';
import { createLogger } from '../logger.js';
import { addItem, createOrder } from '../orders/orderCommands.js';
import { addProduct } from '../products/productCommands.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { createServices, type Services } from '../services.js';
import { findOrderIds } from './searchReads.js';

// The customer's words leave both read models that copy them (the orders' customer name and the
// search index) when a `CustomerForgotten` event arrives, on orders the batch does not otherwise touch.
let testDb: TestDatabase;
let services: Services;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const run = (definition: Parameters<typeof runCommand>[0], input: Record<string, unknown>) =>
  runCommand(definition, input, { auth: staff, services, requestId: 'forget-test' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  services = createServices({
    config: loadConfig({ NODE_ENV: 'test' }),
    logger: createLogger('silent'),
    db: testDb.connect({ poolSize: 12 }),
    features: FEATURES,
  });
  await services.eventStore.start();
  services.readSide.start();
});
afterAll(async () => {
  await services.readSide.stop();
  await services.eventStore.stop();
  await testDb.drop();
});

const READS = ['orders', 'search'];
const rowsOf = async (sql: string) => (await services.db.pool.query(sql)).rows;

describe('a forgotten customer', () => {
  it('loses their name on every order and their name and email in the search index, and a rebuild agrees', async () => {
    await run(addProduct, { sku: 'QUILL-1', name: 'Goose quill', priceCents: 300, initialStock: 10 });
    const ada = (await run(registerCustomer, { name: 'Ada Byron', email: 'ada.byron@example.com' })).aggregateId;
    const grace = (await run(registerCustomer, { name: 'Grace Byron', email: 'grace@example.com' })).aggregateId;
    for (const [orderId, customerId] of [
      ['f-1', ada],
      ['f-2', ada],
      ['f-3', grace],
    ] as const) {
      await run(createOrder, { customerId, orderId });
      await run(addItem, { orderId, sku: 'QUILL-1', quantity: 1 });
    }
    await services.readSide.waitFor(READS, await services.eventStore.headPosition());
    expect(await findOrderIds(services.db, 'byron', { all: true }, { limit: 10 })).toHaveLength(3);

    const forgotten = await services.eventStore.append({
      streams: [
        { streamId: `Customer-${ada}`, streamType: 'Customer', events: [{ type: 'CustomerForgotten', data: { customerId: ada } }] },
      ],
    });
    await services.readSide.waitFor(READS, BigInt(forgotten.lastPosition));

    expect(await rowsOf("SELECT order_id, customer_name FROM order_summaries WHERE order_id LIKE 'f-%' ORDER BY order_id")).toEqual([
      { order_id: 'f-1', customer_name: null },
      { order_id: 'f-2', customer_name: null },
      { order_id: 'f-3', customer_name: 'Grace Byron' },
    ]);
    expect(
      await rowsOf(
        'SELECT order_id, customer_name, customer_email FROM order_search WHERE customer_name IS NULL OR customer_email IS NULL ORDER BY order_id',
      ),
    ).toEqual([
      { order_id: 'f-1', customer_name: null, customer_email: null },
      { order_id: 'f-2', customer_name: null, customer_email: null },
    ]);
    expect((await findOrderIds(services.db, 'byron', { all: true }, { limit: 10 })).map((f) => f.orderId)).toEqual(['f-3']);
    expect(await findOrderIds(services.db, 'ada.byron@example.com', { all: true }, { limit: 10 })).toEqual([]);
    // The order's own words stay findable.
    expect((await findOrderIds(services.db, 'quill', { all: true }, { limit: 10 })).map((f) => f.orderId)).toEqual(['f-1', 'f-2', 'f-3']);

    const tables = PROJECTIONS.filter((p) => READS.includes(p.name)).flatMap((p) => p.tables);
    const dump = async () =>
      Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await rowsOf(`SELECT * FROM ${t} ORDER BY 1, 2`)])));
    const incremental = await dump();
    for (const projection of PROJECTIONS.filter((p) => READS.includes(p.name)))
      await rebuildProjection(services.db.pool, services.eventStore, projection);
    expect(await dump()).toEqual(incremental);
  });
});
