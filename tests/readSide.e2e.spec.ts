import { beforeAll, describe, expect, it, vi } from 'vitest';
import { clientAs, command, ORDER_FIELDS, newOrderId, unique, type ApiClient } from './support/api.js';
import { PROJECTIONS } from '../src/features.js';
import { useTestServer } from './support/testServer.js';

const server = useTestServer({ CONSISTENCY_TIMEOUT_MS: '700' });
let staff: ApiClient;
let admin: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
  admin = await clientAs(server, 'admin', 'root');
});

async function shopper() {
  const registered = await command(staff, 'registerCustomer', { name: 'Reader', email: `${unique('r')}@example.com` });
  return { id: registered.customer.id as string, client: await clientAs(server, 'customer', registered.customer.id) };
}

describe('reading your own writes', () => {
  it('shows a submitted order with its items, totals and history when read with consistentWith', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Kettle', priceCents: 2500, initialStock: 4 });
    const { id, client } = await shopper();
    const orderId = newOrderId();
    await command(client, 'createOrder', { customerId: id, orderId });
    await command(client, 'addItem', { orderId, sku, quantity: 2 });
    const submitted = await command(client, 'submitOrder', { orderId });

    const { order } = await client.run(
      `query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { ${ORDER_FIELDS} history { position version type data } } }`,
      { id: orderId, p: submitted.position },
    );
    expect(order).toMatchObject({ id: orderId, customerId: id, status: 'SUBMITTED', itemCount: 2, totalCents: 5000, version: 3 });
    expect(order.items).toEqual([{ sku, name: 'Kettle', quantity: 2, unitPriceCents: 2500, lineTotalCents: 5000 }]);
    expect(order.history.map((h: { type: string }) => h.type)).toEqual(['OrderCreated', 'ItemAdded', 'OrderSubmitted']);
    expect(order.history[1].data).toEqual({ sku, name: 'Kettle', quantity: 2, unitPriceCents: 2500 });

    const { product } = await client.run(
      `query($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { onHand reserved available } }`,
      { sku, p: submitted.position },
    );
    expect(product).toEqual({ onHand: 4, reserved: 2, available: 2 });
  });

  it("gives a mutation result's order its history once the read side has it", async () => {
    const { id, client } = await shopper();
    const created = await client.run(
      `mutation($i: CreateOrderInput!) { createOrder(input: $i) { ... on CreateOrderSuccess { order { id history { type version } } } } }`,
      { i: { customerId: id } },
    );
    expect(created.createOrder.order.history).toEqual([{ type: 'OrderCreated', version: 1 }]);
  });

  it('answers CONSISTENCY_TIMEOUT when the read side cannot reach the position in time, and VALIDATION_FAILED for a token it never gave', async () => {
    const { id, client } = await shopper();
    const auth = { authorization: `Bearer ${client.token}` };
    // A position in the log that the read side cannot reach: its projections are stopped.
    await server.services.readSide.stop();
    try {
      const created = await command(client, 'createOrder', { customerId: id });
      const late = await server.graphql(`{ me(consistentWith: "${created.position}") { id } }`, {}, auth);
      expect(late.errors?.[0]?.extensions?.code).toBe('CONSISTENCY_TIMEOUT');
    } finally {
      server.services.readSide.start();
    }
    const bad = await server.graphql('{ me(consistentWith: "yesterday") { id } }', {}, auth);
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    // Past the end of the log: no mutation ever returned it, so it is refused rather than waited for
    // (a wait would end CONSISTENCY_TIMEOUT).
    const madeUp = await server.graphql('{ me(consistentWith: "999999999999") { id } }', {}, auth);
    expect(madeUp.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});

describe('read models', () => {
  it("counts a customer's orders and spend, net of refunds", async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Tea', priceCents: 400, initialStock: 50 });
    const { id, client } = await shopper();
    for (const [orderId, refund] of [
      [newOrderId(), false],
      [newOrderId(), true],
    ] as const) {
      await command(client, 'createOrder', { customerId: id, orderId });
      await command(client, 'addItem', { orderId, sku, quantity: 5 });
      await command(client, 'submitOrder', { orderId });
      await command(staff, 'recordPayment', { orderId, amountCents: 2000, paymentRef: unique('pay') });
      if (refund) await command(staff, 'cancelOrder', { orderId, reason: 'refund please' });
    }
    const last = await command(client, 'createOrder', { customerId: id });
    const { me } = await client.run(
      'query($p: String) { me(consistentWith: $p) { id orderCount totalSpentCents orders(first: 10) { totalCount edges { node { status } } } } }',
      { p: last.position },
    );
    expect(me).toMatchObject({ id, orderCount: 3, totalSpentCents: 2000 });
    expect(me.orders.totalCount).toBe(3);
    expect(me.orders.edges.map((e: { node: { status: string } }) => e.node.status)).toEqual(['DRAFT', 'CANCELLED', 'PAID']);
  });

  it('pages through orders newest first with cursors, filters by status, and counts the matches', async () => {
    const { id, client } = await shopper();
    let position = '';
    const orderIds = Array.from({ length: 5 }, newOrderId);
    for (const orderId of orderIds) position = (await command(client, 'createOrder', { customerId: id, orderId })).position;
    const page = (after?: string) =>
      staff.run(
        'query($c: ID, $a: String, $p: String) { orders(customerId: $c, first: 2, after: $a, consistentWith: $p) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }',
        { c: id, a: after, p: position },
      );
    const first = (await page()).orders;
    const second = (await page(first.pageInfo.endCursor)).orders;
    const third = (await page(second.pageInfo.endCursor)).orders;
    const ids = [...first.edges, ...second.edges, ...third.edges].map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toEqual([...orderIds].reverse());
    expect(first.totalCount).toBe(5);
    expect(third.pageInfo.hasNextPage).toBe(false);
    const { orders } = await staff.run('query($c: ID) { orders(customerId: $c, status: SUBMITTED) { totalCount } }', { c: id });
    expect(orders.totalCount).toBe(0);
  });

  it("travels back in time: orderAt by version and by moment folds the order's events", async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Map', priceCents: 100, initialStock: 9 });
    const { id, client } = await shopper();
    const orderId = newOrderId();
    await command(client, 'createOrder', { customerId: id, orderId });
    await command(client, 'addItem', { orderId, sku, quantity: 1 });
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await command(client, 'addItem', { orderId, sku, quantity: 2 });
    await command(client, 'submitOrder', { orderId });
    const q = 'query($id: ID!, $v: Int, $t: DateTime) { orderAt(id: $id, version: $v, asOf: $t) { status itemCount version } }';
    expect((await client.run(q, { id: orderId, v: 1 })).orderAt).toEqual({ status: 'DRAFT', itemCount: 0, version: 1 });
    expect((await client.run(q, { id: orderId, t: between })).orderAt).toEqual({ status: 'DRAFT', itemCount: 1, version: 2 });
    expect((await client.run(q, { id: orderId })).orderAt).toEqual({ status: 'SUBMITTED', itemCount: 3, version: 4 });
    expect((await client.run(q, { id: orderId, t: '2000-01-01T00:00:00Z' })).orderAt).toBeNull();
  });

  it('answers 30 aliases of orderAt over a long order from one shared fold, starting from the snapshot when it can', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Bead', priceCents: 1, initialStock: 100_000 });
    const { id, client } = await shopper();
    const orderId = newOrderId();
    await command(client, 'createOrder', { customerId: id, orderId });
    // A long history, written straight to the log (1,600 commands would make a slow test).
    const streamId = `Order-${orderId}`;
    for (let batch = 0; batch < 8; batch++) {
      const events = Array.from({ length: 200 }, () => ({
        type: 'ItemAdded',
        data: { sku, name: 'Bead', quantity: 1, unitPriceCents: 1 },
      }));
      await server.services.eventStore.append({ streams: [{ streamId, streamType: 'Order', events }] });
    }
    const middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    // A command takes a snapshot of the state it reaches (version 1,602). Not an item change: a draft
    // takes 500 of those, and this history was written past that straight to the log.
    expect(await command(client, 'cancelOrder', { orderId, reason: 'too long' })).toMatchObject({ order: { version: 1_602 } });

    const store = server.services.eventStore;
    const reads = vi.spyOn(store, 'readStream');
    const loads = vi.spyOn(store, 'loadStream');
    try {
      const aliases = (args: string) =>
        `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: orderAt(id: "${orderId}", ${args}) { itemCount version }`).join(' ')} }`;
      const now = await client.run(aliases(`asOf: "${new Date(Date.now() + 60_000).toISOString()}"`));
      expect(Object.values(now)).toEqual(Array(30).fill({ itemCount: 1_600, version: 1_602 }));
      // At or past the snapshot: one load of snapshot and tail for all 30, and no full read.
      expect(loads).toHaveBeenCalledTimes(1);
      expect(reads).not.toHaveBeenCalled();

      const before = await client.run(aliases(`asOf: "${middle}"`));
      expect(Object.values(before)).toEqual(Array(30).fill({ itemCount: 1_600, version: 1_601 }));
      const early = await client.run(aliases('version: 11'));
      expect(Object.values(early)).toEqual(Array(30).fill({ itemCount: 10, version: 11 }));
      // Below the snapshot: one read per request, and only of the events up to the version asked.
      expect(reads).toHaveBeenCalledTimes(2);
      const read = await reads.mock.results[1]!.value;
      expect(read).toHaveLength(11);
    } finally {
      reads.mockRestore();
      loads.mockRestore();
    }
  });

  it('shows every projection caught up to staff, and refuses customers', async () => {
    const { client } = await shopper();
    const head = (await staff.run('{ headPosition }')).headPosition;
    await staff.run('query($p: String) { orders(first: 1, consistentWith: $p) { totalCount } }', { p: head });
    const { projections } = await admin.run('{ projections { name version position lag status lastError } }');
    expect(projections.map((p: { name: string }) => p.name).sort()).toEqual([
      'customers',
      'inventory',
      'orderCounts',
      'orders',
      'paymentDeadlines',
      'reactions',
      'sales',
      'search',
    ]);
    for (const p of projections)
      expect(p).toMatchObject({ version: PROJECTIONS.find((q) => q.name === p.name)!.version, status: 'RUNNING', lastError: null });
    expect(projections.find((p: { name: string }) => p.name === 'orders').lag).toBe(0);
    const refused = await server.graphql('{ projections { name } }', {}, { authorization: `Bearer ${client.token}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
