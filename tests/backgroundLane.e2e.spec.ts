import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { stopTestServers, useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// The server under load runs the projections and holds the subscription; a second process on the
// same database (serving only) takes the mutations, as another replica of the service would.
const server = useTestServer();
const writer = useTestServer({ RUN_PROJECTIONS: 'false' }, () => ({ database: server.database }));
afterAll(() => stopTestServers());

let staff: ApiClient;
let writerStaff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
  writerStaff = await clientAs(writer, 'staff', 'alice');
});

const STATUS = 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId status previousStatus version position } }';
const ITEM = 'mutation($orderId: ID!, $sku: String!) { addItem(input: { orderId: $orderId, sku: $sku, quantity: 1 }) { __typename } }';

/** Checks out every connection of the request pool and keeps them, as a load that saturates it would. */
async function holdEveryRequestConnection(pool: pg.Pool): Promise<pg.PoolClient[]> {
  const held: pg.PoolClient[] = [];
  for (let i = 0; i < pool.options.max; i++) held.push(await pool.connect());
  return held;
}

describe('the read side while requests hold every pooled connection', () => {
  it('keeps projecting and pushing after a saturating mutation load, on connections no request can take', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Kettle', priceCents: 700, initialStock: 1_000 });
    const registered = await command(staff, 'registerCustomer', { name: 'Busy', email: `${unique('b')}@example.com` });
    const customer = await clientAs(server, 'customer', registered.customer.id);
    const orderId = newOrderId();
    await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
    await command(customer, 'addItem', { orderId, sku, quantity: 1 });

    // A burst of mutations well over the pool's size, all at once (some may lose a race on the order: no matter).
    const auth = { authorization: `Bearer ${customer.token}` };
    await Promise.all(Array.from({ length: 120 }, () => server.graphql(ITEM, { orderId, sku }, auth)));

    const sub = subscribe(server.wsUrl, customer.token, STATUS, { id: orderId });
    // Its first read is a request's like any other: done before the pool is taken.
    await sub.waitFor(1, 20_000);
    const held = await holdEveryRequestConnection(server.services.db.pool);
    try {
      const submitted = await command(writerStaff, 'submitOrder', { orderId });
      // The projections of the loaded server applied the commit: the other process reads it.
      const read = await writerStaff.run<{ order: { status: string } }>(
        'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { status } }',
        { id: orderId, p: submitted.position },
      );
      expect(read.order.status).toBe('SUBMITTED');
      // And its live feed pushed the change to the subscriber.
      const changes = await sub.waitFor(2, 20_000);
      expect(changes[1]).toMatchObject({ orderId, previousStatus: 'DRAFT', status: 'SUBMITTED', position: submitted.events[0].position });
    } finally {
      for (const client of held) client.release();
      await sub.close();
    }
  });
});
