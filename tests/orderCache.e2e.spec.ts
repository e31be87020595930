import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// Each server process keeps the order views it read in memory (ORDER_CACHE_ENTRIES). These tests
// prove what a cache must never do: answer an older order after a change was promised
// (`consistentWith`), step back to an older version than one already seen, or show one customer's
// order to another. Two servers share one database, as processes of one deployment do: `writer`
// runs the projections, `reader` only serves (it hears of their batches over NOTIFY).

let database: TestDatabase;
let writer: TestServer;
let reader: TestServer;
let staffAtWriter: ApiClient;
let staffAtReader: ApiClient;
beforeAll(async () => {
  database = await createTestDatabase();
  writer = await startTestServer({}, { database });
  reader = await startTestServer({ RUN_PROJECTIONS: 'false' }, { database });
  staffAtWriter = await clientAs(writer, 'staff', 'alice');
  staffAtReader = await clientAs(reader, 'staff', 'alice');
}, 60_000);
afterAll(async () => {
  await reader?.stop();
  await writer?.stop();
  await database?.drop();
});

const ORDER = 'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id version itemCount items { sku quantity } } }';

async function orderWithItems(client: ApiClient, customerId: string, sku: string) {
  const orderId = newOrderId();
  await command(client, 'createOrder', { customerId, orderId });
  const added = await command(client, 'addItem', { orderId, sku, quantity: 1 });
  return { orderId, position: added.position as string };
}

async function catalog() {
  const sku = unique('CACHE');
  await command(staffAtWriter, 'addProduct', { sku, name: 'Mug', priceCents: 300, initialStock: 1 });
  const registered = await command(staffAtWriter, 'registerCustomer', { name: 'Cached', email: `${unique('c')}@example.com` });
  return { sku, customerId: registered.customer.id as string };
}

describe('order(id) served from memory', () => {
  it('sees every change when read with consistentWith, on the process that applied it and on one that only heard of it', async () => {
    const { sku, customerId } = await catalog();
    const { orderId, position } = await orderWithItems(staffAtWriter, customerId, sku);
    for (const [client, name] of [
      [staffAtWriter, 'writer'],
      [staffAtReader, 'reader'],
    ] as const) {
      // Read twice first, so the order is cached in both processes.
      for (let i = 0; i < 2; i++) expect((await client.run(ORDER, { id: orderId, p: position })).order.itemCount, name).toBe(1);
    }
    for (let quantity = 2; quantity <= 6; quantity++) {
      const added = await command(staffAtWriter, 'addItem', { orderId, sku, quantity: 1 });
      for (const client of [staffAtWriter, staffAtReader]) {
        const { order } = await client.run(ORDER, { id: orderId, p: added.position });
        expect(order).toMatchObject({ version: added.version, itemCount: quantity, items: [{ sku, quantity }] });
      }
    }
  });

  it('never shows an older version of an order than one a client already saw, while it changes under concurrent reads', async () => {
    const { sku, customerId } = await catalog();
    const { orderId, position } = await orderWithItems(staffAtWriter, customerId, sku);
    for (const client of [staffAtWriter, staffAtReader]) await client.run(ORDER, { id: orderId, p: position });
    let writing = true;
    let lastWrite = { version: 0, position: '0' };
    const writes = (async () => {
      try {
        for (let i = 0; i < 25; i++) {
          const added = await command(staffAtWriter, 'addItem', { orderId, sku, quantity: 1 });
          lastWrite = { version: added.version, position: added.position };
        }
      } finally {
        writing = false;
      }
    })();
    const readerLoop = async (client: ApiClient, withConsistency: boolean) => {
      let seen = 0;
      let reads = 0;
      while (writing || reads < 3) {
        const promised = lastWrite;
        const { order } = await client.run(ORDER, { id: orderId, p: withConsistency ? promised.position : null });
        expect(order.version).toBeGreaterThanOrEqual(seen);
        if (withConsistency) expect(order.version).toBeGreaterThanOrEqual(promised.version);
        seen = order.version;
        reads++;
      }
      return seen;
    };
    const finals = await Promise.all([
      readerLoop(staffAtWriter, false),
      readerLoop(staffAtWriter, false),
      readerLoop(staffAtWriter, true),
      readerLoop(staffAtReader, false),
      readerLoop(staffAtReader, true),
    ]);
    await writes;
    for (const client of [staffAtWriter, staffAtReader]) {
      expect((await client.run(ORDER, { id: orderId, p: lastWrite.position })).order.version).toBe(27);
    }
    expect(Math.max(...finals)).toBeLessThanOrEqual(27);
  });

  it('shows a cached order only to its customer and staff, whoever read it first', async () => {
    const { sku } = await catalog();
    const owner = await command(staffAtWriter, 'registerCustomer', { name: 'Owner', email: `${unique('o')}@example.com` });
    const other = await command(staffAtWriter, 'registerCustomer', { name: 'Other', email: `${unique('x')}@example.com` });
    const ownerClient = await clientAs(reader, 'customer', owner.customer.id);
    const otherClient = await clientAs(reader, 'customer', other.customer.id);
    const { orderId, position } = await orderWithItems(staffAtWriter, owner.customer.id, sku);

    // Someone else first (a cache miss, then a hit), then the owner and staff, then the other again.
    for (let i = 0; i < 2; i++) expect((await otherClient.run(ORDER, { id: orderId, p: position })).order).toBeNull();
    for (let i = 0; i < 2; i++)
      expect((await ownerClient.run(ORDER, { id: orderId, p: position })).order).toMatchObject({ id: orderId, itemCount: 1 });
    expect((await staffAtReader.run(ORDER, { id: orderId, p: position })).order).toMatchObject({ id: orderId });
    expect((await otherClient.run(ORDER, { id: orderId, p: position })).order).toBeNull();
    expect((await otherClient.run('query($id: ID!) { orderHistory(orderId: $id) { type } }', { id: orderId })).orderHistory).toEqual([]);
  });

  it('sees an order created after a read found none', async () => {
    const { customerId } = await catalog();
    const orderId = newOrderId();
    expect((await staffAtReader.run(ORDER, { id: orderId, p: null })).order).toBeNull();
    const created = await command(staffAtWriter, 'createOrder', { customerId, orderId });
    expect((await staffAtReader.run(ORDER, { id: orderId, p: created.position })).order).toMatchObject({ id: orderId, version: 1 });
  });
});
