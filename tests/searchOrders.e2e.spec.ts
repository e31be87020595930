import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// Order search over real HTTP: its own projection and index, scoped by role, read-your-writes.
let server: TestServer;
let staff: ApiClient;
beforeAll(async () => {
  server = await startTestServer();
  staff = await clientAs(server, 'staff', 'search-staff');
});
afterAll(() => server?.stop());

const SEARCH = `query($q: String!, $first: Int, $after: String, $p: String) {
  searchOrders(query: $q, first: $first, after: $after, consistentWith: $p) {
    totalCount
    edges { cursor node { id customerId customerName items { sku name } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** A word no other test uses (letters and hex digits: one token for the search). */
const word = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;

async function customer(name: string): Promise<{ id: string; client: ApiClient; position: string }> {
  const registered = await command(apiClient(server), 'registerCustomer', { name, email: `${unique('searcher')}@example.com` });
  return { id: registered.customer.id, client: apiClient(server, registered.token), position: registered.position };
}

/** An order of `customerId` with one line of a new product; returns the order id and the last position. */
async function order(customerId: string, productName = 'Plain thing'): Promise<{ orderId: string; sku: string; position: string }> {
  const sku = unique('SRCH').toUpperCase();
  await command(staff, 'addProduct', { sku, name: productName, priceCents: 100, initialStock: 10 });
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId, orderId });
  const added = await command(staff, 'addItem', { orderId, sku, quantity: 1 });
  return { orderId, sku, position: added.position };
}

const ids = (result: Record<string, any>): string[] => result.searchOrders.edges.map((e: { node: { id: string } }) => e.node.id);

describe('searchOrders', () => {
  it("finds an order by its customer's surname, email, order id, sku or product name, read-your-writes with consistentWith", async () => {
    const surname = word('Lovelace');
    const ada = await customer(`Ada ${surname}`);
    const product = word('Teapot');
    const placed = await order(ada.id, `Porcelain ${product}`);
    const found = await staff.run(SEARCH, { q: surname, p: placed.position });
    expect(found.searchOrders.totalCount).toBe(1);
    expect(found.searchOrders.edges[0].node).toEqual({
      id: placed.orderId,
      customerId: ada.id,
      customerName: `Ada ${surname}`,
      items: [{ sku: placed.sku, name: `Porcelain ${product}` }],
    });
    for (const q of [`ada ${surname.toUpperCase()}`, placed.orderId, placed.sku, product, `"porcelain ${product}"`]) {
      expect(ids(await staff.run(SEARCH, { q })), q).toEqual([placed.orderId]);
    }
    expect(ids(await staff.run(SEARCH, { q: `${surname} -${product}` }))).toEqual([]);
  });

  it("ranks a match in the customer's name above a match in a product name, then orders ties by order id", async () => {
    const term = word('Rank');
    const named = await customer(`Grace ${term}`);
    const other = await customer('Someone Else');
    const byProduct = await order(other.id, `Mug ${term}`);
    const byName = await order(named.id);
    const byName2 = await order(named.id);
    const found = await staff.run(SEARCH, { q: term, p: byName2.position });
    expect(ids(found)).toEqual([...[byName.orderId, byName2.orderId].sort(), byProduct.orderId]);
  });

  it('pages best match first with cursors, and counts every match', async () => {
    const term = word('Page');
    const buyer = await customer(`Pat ${term}`);
    let position = '0';
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await order(buyer.id);
      placed.push(o.orderId);
      position = o.position;
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 3; pages++) {
      const { searchOrders } = await staff.run(SEARCH, { q: term, first: 2, after, p: position });
      expect(searchOrders.totalCount).toBe(5);
      seen.push(...searchOrders.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(searchOrders.pageInfo.hasNextPage).toBe(pages < 2);
      after = searchOrders.pageInfo.endCursor;
    }
    expect(seen).toEqual([...placed].sort());
  });

  it('refuses a cursor it did not return, and a query longer than 200 characters, with VALIDATION_FAILED', async () => {
    const headers = { authorization: `Bearer ${staff.token}` };
    const { data } = await server.graphql('{ orders(first: 1) { pageInfo { endCursor } } }', {}, headers);
    const foreign = (data as { orders: { pageInfo: { endCursor: string } } }).orders.pageInfo.endCursor;
    for (const variables of [{ q: 'x', after: foreign }, { q: 'x', after: 'not-a-cursor' }, { q: 'x'.repeat(201) }]) {
      const answer = await server.graphql(SEARCH, variables, headers);
      expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(variables).slice(0, 80)).toBe('VALIDATION_FAILED');
    }
  });

  it('shows a customer only their own orders, and refuses anonymous callers with UNAUTHENTICATED', async () => {
    const surname = word('Shared');
    const first = await customer(`Ann ${surname}`);
    const second = await customer(`Bob ${surname}`);
    const mine = await order(first.id);
    const theirs = await order(second.id);
    await staff.run(SEARCH, { q: surname, p: theirs.position });
    expect(ids(await staff.run(SEARCH, { q: surname })).sort()).toEqual([mine.orderId, theirs.orderId].sort());
    const own = await first.client.run(SEARCH, { q: surname });
    expect(ids(own)).toEqual([mine.orderId]);
    expect(own.searchOrders.totalCount).toBe(1);
    expect(ids(await first.client.run(SEARCH, { q: theirs.orderId }))).toEqual([]);
    const anonymous = await server.graphql(SEARCH, { q: surname });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('Order.customerName', () => {
  it("shows the customer's name on an order from a command, from order(id) and from orders", async () => {
    const name = `Edsger ${word('Dijkstra')}`;
    const buyer = await customer(name);
    // A command's answer takes the name from the orders read model: once it has seen the registration.
    await buyer.client.run('query($p: String) { orders(first: 1, consistentWith: $p) { totalCount } }', { p: buyer.position });
    const orderId = newOrderId();
    const created = await buyer.client.run(
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { ... on CreateOrderSuccess { position order { customerName } } } }',
      { i: { customerId: buyer.id, orderId } },
    );
    expect(created.createOrder.order.customerName).toBe(name);
    const read = await buyer.client.run(
      'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { customerName } orders(first: 1, consistentWith: $p) { edges { node { customerName } } } }',
      {
        id: orderId,
        p: created.createOrder.position,
      },
    );
    expect(read.order.customerName).toBe(name);
    expect(read.orders.edges[0].node.customerName).toBe(name);
  });
});
