import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, ORDER_FIELDS, unique, type ApiClient } from './support/api.js';
import { startTestServer, type TestServer } from './support/testServer.js';

let server: TestServer;
let staff: ApiClient;
let admin: ApiClient;
beforeAll(async () => {
  server = await startTestServer({ CONSISTENCY_TIMEOUT_MS: '700' });
  staff = await clientAs(server, 'staff', 'alice');
  admin = await clientAs(server, 'admin', 'root');
});
afterAll(() => server.stop());


async function shopper() {
  const registered = await command(staff, 'registerCustomer', { name: 'Reader', email: `${unique('r')}@example.com` });
  return { id: registered.customer.id as string, client: await clientAs(server, 'customer', registered.customer.id) };
}

describe('reading your own writes', () => {
  it('shows a submitted order with its items, totals and history when read with consistentWith', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Kettle', priceCents: 2500, initialStock: 4 });
    const { id, client } = await shopper();
    const orderId = unique('o');
    await command(client, 'createOrder', { customerId: id, orderId });
    await command(client, 'addItem', { orderId, sku, quantity: 2 });
    const submitted = await command(client, 'submitOrder', { orderId });

    const { order } = await client.run(`query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { ${ORDER_FIELDS} history { position version type data } } }`, { id: orderId, p: submitted.position });
    expect(order).toMatchObject({ id: orderId, customerId: id, status: 'SUBMITTED', itemCount: 2, totalCents: 5000, version: 3 });
    expect(order.items).toEqual([{ sku, name: 'Kettle', quantity: 2, unitPriceCents: 2500, lineTotalCents: 5000 }]);
    expect(order.history.map((h: { type: string }) => h.type)).toEqual(['OrderCreated', 'ItemAdded', 'OrderSubmitted']);
    expect(order.history[1].data).toEqual({ sku, name: 'Kettle', quantity: 2, unitPriceCents: 2500 });

    const { product } = await client.run(`query($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { onHand reserved available } }`, { sku, p: submitted.position });
    expect(product).toEqual({ onHand: 4, reserved: 2, available: 2 });
  });

  it('gives a mutation result\'s order its history once the read side has it', async () => {
    const { id, client } = await shopper();
    const created = await client.run(`mutation($i: CreateOrderInput!) { createOrder(input: $i) { ... on CreateOrderSuccess { order { id history { type version } } } } }`, { i: { customerId: id } });
    expect(created.createOrder.order.history).toEqual([{ type: 'OrderCreated', version: 1 }]);
  });

  it('answers CONSISTENCY_TIMEOUT when the read side cannot reach the position in time, and VALIDATION_FAILED for a token it never gave', async () => {
    const { client } = await shopper();
    const late = await server.graphql('{ me(consistentWith: "999999999999") { id } }', {}, { authorization: `Bearer ${client.token}` });
    expect(late.errors?.[0]?.extensions?.code).toBe('CONSISTENCY_TIMEOUT');
    const bad = await server.graphql('{ me(consistentWith: "yesterday") { id } }', {}, { authorization: `Bearer ${client.token}` });
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});

describe('read models', () => {
  it('counts a customer\'s orders and spend, net of refunds', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Tea', priceCents: 400, initialStock: 50 });
    const { id, client } = await shopper();
    for (const [orderId, refund] of [[unique('o'), false], [unique('o'), true]] as const) {
      await command(client, 'createOrder', { customerId: id, orderId });
      await command(client, 'addItem', { orderId, sku, quantity: 5 });
      await command(client, 'submitOrder', { orderId });
      await command(client, 'recordPayment', { orderId, amountCents: 2000, paymentRef: unique('pay') });
      if (refund) await command(staff, 'cancelOrder', { orderId, reason: 'refund please' });
    }
    const last = await command(client, 'createOrder', { customerId: id });
    const { me } = await client.run('query($p: String) { me(consistentWith: $p) { id orderCount totalSpentCents orders(first: 10) { totalCount edges { node { status } } } } }', { p: last.position });
    expect(me).toMatchObject({ id, orderCount: 3, totalSpentCents: 2000 });
    expect(me.orders.totalCount).toBe(3);
    expect(me.orders.edges.map((e: { node: { status: string } }) => e.node.status)).toEqual(['DRAFT', 'CANCELLED', 'PAID']);
  });

  it('pages through orders newest first with cursors, filters by status, and counts the matches', async () => {
    const { id, client } = await shopper();
    let position = '';
    for (let i = 0; i < 5; i++) position = (await command(client, 'createOrder', { customerId: id, orderId: `page-${id}-${i}` })).position;
    const page = (after?: string) =>
      staff.run('query($c: ID, $a: String, $p: String) { orders(customerId: $c, first: 2, after: $a, consistentWith: $p) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }', { c: id, a: after, p: position });
    const first = (await page()).orders;
    const second = (await page(first.pageInfo.endCursor)).orders;
    const third = (await page(second.pageInfo.endCursor)).orders;
    const ids = [...first.edges, ...second.edges, ...third.edges].map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toEqual([4, 3, 2, 1, 0].map((i) => `page-${id}-${i}`));
    expect(first.totalCount).toBe(5);
    expect(third.pageInfo.hasNextPage).toBe(false);
    const { orders } = await staff.run('query($c: ID) { orders(customerId: $c, status: SUBMITTED) { totalCount } }', { c: id });
    expect(orders.totalCount).toBe(0);
  });

  it('travels back in time: orderAt by version and by moment folds the order\'s events', async () => {
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Map', priceCents: 100, initialStock: 9 });
    const { id, client } = await shopper();
    const orderId = unique('o');
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

  it('shows every projection caught up to staff, and refuses customers', async () => {
    const { client } = await shopper();
    const head = (await staff.run('{ headPosition }')).headPosition;
    await staff.run('query($p: String) { orders(first: 1, consistentWith: $p) { totalCount } }', { p: head });
    const { projections } = await admin.run('{ projections { name position lag status lastError } }');
    expect(projections.map((p: { name: string }) => p.name)).toEqual(['orders', 'paymentDeadlines', 'customers', 'inventory']);
    for (const p of projections) expect(p).toMatchObject({ status: 'RUNNING', lastError: null });
    expect(projections[0].lag).toBe(0);
    const refused = await server.graphql('{ projections { name } }', {}, { authorization: `Bearer ${client.token}` });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
