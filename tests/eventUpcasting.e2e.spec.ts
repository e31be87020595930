import { beforeAll, describe, expect, it, vi } from 'vitest';
import { defineUpcaster } from '../src/eventStore/upcasting.js';
import type { FeatureModule } from '../src/feature.js';
import { FEATURES } from '../src/features.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { clientAs, command, ORDER_FIELDS, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// Events are written here in the shapes an older release stored, straight into the log with SQL,
// and must read in today's shapes through every path: command loads, projections, rebuilds,
// `orderAt` and `orderHistory.data`. CustomerRegistered v1 is a real older shape. Orders have no
// older shape yet, so this test adds one of its own: an `OrderShipped` v1 that called the tracking
// number `tracking`, upcast by a feature that only this test's server has.
const legacyShipping: FeatureModule = {
  name: 'legacy-shipping',
  projections: [],
  liveSources: [],
  upcasters: [
    defineUpcaster<{ carrier: string; tracking: string }, { carrier: string; trackingNumber: string }>(
      'OrderShipped',
      1,
      ({ carrier, tracking }) => ({ carrier, trackingNumber: tracking }),
    ),
  ],
};

const server = useTestServer({}, { features: [...FEATURES, legacyShipping] });
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

type Row = [streamId: string, streamType: string, version: number, type: string, schemaVersion: number, data: object];

/** Appends rows as an older release wrote them (no upcasting, no stamping) and announces the commit. */
async function appendOldRows(rows: Row[]): Promise<string> {
  const client = await server.services.db.pool.connect();
  try {
    let last = '0';
    for (const [streamId, streamType, version, type, schemaVersion, data] of rows) {
      const { rows: inserted } = await client.query<{ position: string }>(
        `INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING position::text`,
        [
          streamId,
          streamType,
          version,
          type,
          schemaVersion,
          JSON.stringify(data),
          JSON.stringify({ actor: 'staff:old', occurredAt: new Date().toISOString() }),
        ],
      );
      last = inserted[0]!.position;
    }
    await client.query(`SELECT pg_notify('ordersource_events', $1)`, [last]);
    return last;
  } finally {
    client.release();
  }
}

describe('events stored in older shapes', () => {
  const customerId = unique('old-customer');
  const orderId = unique('old-order');
  const sku = unique('OLD-SKU');
  const email = `${customerId}@Example.com`;
  let oldPosition: string;

  beforeAll(async () => {
    await command(staff, 'addProduct', { sku, name: 'Lamp', priceCents: 700, initialStock: 10 });
    oldPosition = await appendOldRows([
      [`Customer-${customerId}`, 'Customer', 1, 'CustomerRegistered', 1, { customerId, name: 'Old Ada', email }],
      [`Order-${orderId}`, 'Order', 1, 'OrderCreated', 1, { orderId, customerId }],
      [`Order-${orderId}`, 'Order', 2, 'ItemAdded', 1, { sku, name: 'Lamp', quantity: 2, unitPriceCents: 700 }],
      [`Order-${orderId}`, 'Order', 3, 'OrderSubmitted', 1, { totalCents: 1400, lines: [{ sku, quantity: 2 }] }],
      [`Order-${orderId}`, 'Order', 4, 'PaymentRecorded', 1, { amountCents: 1400, paymentRef: 'old-pay' }],
      [`Order-${orderId}`, 'Order', 5, 'OrderShipped', 1, { carrier: 'DHL', tracking: 'OLD123' }],
    ]);
    // A snapshot of a state shape no aggregate has any more: loads must ignore it.
    await server.services.db.pool.query(
      `INSERT INTO snapshots (stream_id, stream_type, version, schema_version, state) VALUES ($1, 'Order', 5, 0, '{"status": "DELIVERED", "exists": true}')`,
      [`Order-${orderId}`],
    );
  });

  it('feeds the projections current shapes: the customer reads with the name and email it registered with', async () => {
    const read = () => staff.run(`query($id: ID!) { customer(id: $id) { id name email orderCount totalSpentCents } }`, { id: customerId });
    const { customer } = await vi.waitFor(
      async () => {
        const answer = await read();
        expect(answer.customer?.totalSpentCents).toBe(1400);
        return answer;
      },
      { timeout: 10_000 },
    );
    expect(customer).toEqual({ id: customerId, name: 'Old Ada', email, orderCount: 1, totalSpentCents: 1400 });
  });

  it('answers orderHistory and Order.history with every payload in its current shape', async () => {
    const { orderHistory } = await staff.run(
      `query($id: ID!, $p: String) { orderHistory(orderId: $id, consistentWith: $p) { version type data } }`,
      { id: orderId, p: oldPosition },
    );
    expect(orderHistory.map((h: { type: string }) => h.type)).toEqual([
      'OrderCreated',
      'ItemAdded',
      'OrderSubmitted',
      'PaymentRecorded',
      'OrderShipped',
    ]);
    expect(orderHistory[4].data).toEqual({ carrier: 'DHL', trackingNumber: 'OLD123' });
  });

  it('folds orderAt from upcast events', async () => {
    const { orderAt } = await staff.run(`query($id: ID!) { orderAt(id: $id, version: 5) { ${ORDER_FIELDS} } }`, { id: orderId });
    expect(orderAt).toMatchObject({ id: orderId, customerId, status: 'SHIPPED', totalCents: 1400, version: 5 });
  });

  it('loads old events for commands (ignoring and replacing an outdated snapshot): the old order is delivered and the old customer orders again', async () => {
    const delivered = await command(staff, 'deliverOrder', { orderId });
    expect(delivered).toMatchObject({ __typename: 'DeliverOrderSuccess', version: 6, order: { status: 'DELIVERED' } });
    const { rows } = await server.services.db.pool.query(`SELECT version, schema_version FROM snapshots WHERE stream_id = $1`, [
      `Order-${orderId}`,
    ]);
    expect(rows).toEqual([{ version: 6, schema_version: expect.any(Number) }]);
    expect(rows[0].schema_version).not.toBe(0);

    const created = await command(staff, 'createOrder', { customerId, orderId: unique('new-order') });
    expect(created.__typename).toBe('CreateOrderSuccess');
  });

  it('stamps new events with their current schema version', async () => {
    const registered = await command(staff, 'registerCustomer', { name: 'New Ada', email: `${unique('new')}@example.com` });
    const { rows } = await server.services.db.pool.query(`SELECT schema_version, data FROM events WHERE stream_id = $1`, [
      `Customer-${registered.customer.id}`,
    ]);
    // Version 2 as stored: the personal data sealed under the customer's key, never in plain text.
    expect(rows).toEqual([
      { schema_version: 2, data: { customerId: registered.customer.id, personal: { sealed: expect.stringMatching(/^v1\./) } } },
    ]);
    expect(JSON.stringify(rows)).not.toContain('New Ada');
  });

  it('rebuilds the read tables from old shapes to the same rows', async () => {
    const { services } = server;
    const tables = async () => ({
      customer: (
        await services.db.pool.query(`SELECT name, email, order_count FROM customer_summaries WHERE customer_id = $1`, [customerId])
      ).rows,
      history: (await services.db.pool.query(`SELECT type, data FROM order_history WHERE order_id = $1 ORDER BY version`, [orderId])).rows,
    });
    const before = await vi.waitFor(
      async () => {
        const now = await tables();
        expect(now.customer[0]?.order_count).toBe(2);
        return now;
      },
      { timeout: 10_000 },
    );
    for (const projection of services.readSide.projections) await rebuildProjection(services.db.pool, services.eventStore, projection);
    expect(await tables()).toEqual(before);
    expect(before.customer).toEqual([{ name: 'Old Ada', email, order_count: 2 }]);
  });
});
