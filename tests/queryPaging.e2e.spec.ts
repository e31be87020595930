import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, unique, type ApiClient } from './support/api.js';
import { type TestServer, useTestServer } from './support/testServer.js';

// The Relay connections (orders, Customer.orders, products) at their edges, over real HTTP:
// page sizes, cursors that the API never gave, paging backwards, the catalog by sku, and one query
// that asks for many orders with their lines and history.

const server = useTestServer({ CONSISTENCY_TIMEOUT_MS: '2000' });
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', `staff-${randomUUID().slice(0, 8)}`);
});

/** Upper-case letters and digits only, so PostgreSQL's collation and JavaScript agree on the order. */
const skuPrefix = (): string => `P${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

type Body = Awaited<ReturnType<TestServer['graphql']>>;
const codeOf = (body: Body): unknown => body.errors?.[0]?.extensions?.code;
const asStaff = (query: string, variables: Record<string, unknown> = {}): Promise<Body> =>
  server.graphql(query, variables, { authorization: `Bearer ${staff.token}` });

interface Page<N = { id: string }> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: N }[];
}
type ProductPage = Page<{ sku: string }>;
const PAGE = 'totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }';

/** A registered customer with `count` orders named `<id>-o<i>` (created in that order, by staff: only staff may choose such ids), and the last position. */
async function customerWithOrders(count: number, sku?: string) {
  const registered = await command(apiClient(server), 'registerCustomer', { name: 'Pager', email: `${unique('pager')}@example.com` });
  const id: string = registered.customer.id;
  const client = apiClient(server, registered.token);
  const orderIds: string[] = [];
  let position: string = registered.position;
  for (let i = 0; i < count; i++) {
    const orderId = `${id}-o${String(i).padStart(2, '0')}`;
    const created = await command(staff, 'createOrder', { customerId: id, orderId });
    expect(created.__typename).toBe('CreateOrderSuccess');
    position = created.position;
    if (sku) {
      await command(client, 'addItem', { orderId, sku, quantity: 1 });
      position = (await command(client, 'addItem', { orderId, sku, quantity: i + 1 })).position;
    }
    orderIds.push(orderId);
  }
  return { id, client, orderIds, position, newestFirst: [...orderIds].reverse() };
}

const ORDERS = `query($c: ID, $first: Int, $last: Int, $after: String, $before: String, $p: String) {
  orders(customerId: $c, first: $first, last: $last, after: $after, before: $before, consistentWith: $p) { ${PAGE} }
}`;
const PRODUCTS = `query($first: Int, $last: Int, $after: String, $before: String, $p: String) {
  products(first: $first, last: $last, after: $after, before: $before, consistentWith: $p) { ${PAGE.replace('node { id }', 'node { sku }')} }
}`;
const ME_ORDERS =
  'query($first: Int, $last: Int, $after: String) { me { orders(first: $first, last: $last, after: $after) { totalCount } } }';
const ids = (page: Page): string[] => page.edges.map((e) => e.node.id);

async function orders(variables: Record<string, unknown>): Promise<Page> {
  return (await staff.run<{ orders: Page }>(ORDERS, variables)).orders;
}

describe('page sizes', () => {
  it('answers first: 0 with no edges, yet counts every match and says a next page exists', async () => {
    const { id, position } = await customerWithOrders(3);
    const page = await orders({ c: id, first: 0, p: position });
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBe(3);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const products = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 0 })).products;
    expect(products.edges).toEqual([]);
  });

  it('answers last: 0 with no edges, like first: 0', async () => {
    const { id, position } = await customerWithOrders(3);
    const page = await orders({ c: id, last: 0, p: position });
    expect(page.totalCount).toBe(3);
    expect(page.edges).toEqual([]);
  });

  it('refuses first: 101, last: 101 and negative sizes with VALIDATION_FAILED on orders, products and Customer.orders, and accepts 100', async () => {
    const { client, position } = await customerWithOrders(1);
    for (const size of [{ first: 101 }, { last: 101 }, { first: -1 }, { last: -1 }]) {
      const label = JSON.stringify(size);
      expect(codeOf(await asStaff(ORDERS, { ...size, p: position })), `orders ${label}`).toBe('VALIDATION_FAILED');
      expect(codeOf(await asStaff(PRODUCTS, size)), `products ${label}`).toBe('VALIDATION_FAILED');
      const me = await server.graphql(ME_ORDERS, size, { authorization: `Bearer ${client.token}` });
      expect(codeOf(me), `me.orders ${label}`).toBe('VALIDATION_FAILED');
    }
    expect((await orders({ first: 100, p: position })).edges.length).toBeGreaterThanOrEqual(1);
    expect((await client.run(ME_ORDERS, { first: 100 })).me.orders.totalCount).toBe(1);
  });
});

describe('cursors', () => {
  it('refuses a garbage after or before cursor with VALIDATION_FAILED on orders, products and Customer.orders', async () => {
    const { client, position } = await customerWithOrders(2);
    for (const garbage of ['garbage', '!!!', base64url('a string'), base64url({ createdAt: 1 }), base64url(42)]) {
      const label = JSON.stringify(garbage);
      expect(codeOf(await asStaff(ORDERS, { first: 2, after: garbage, p: position })), `orders after ${label}`).toBe('VALIDATION_FAILED');
      expect(codeOf(await asStaff(ORDERS, { last: 2, before: garbage, p: position })), `orders before ${label}`).toBe('VALIDATION_FAILED');
      expect(codeOf(await asStaff(PRODUCTS, { first: 2, after: garbage })), `products after ${label}`).toBe('VALIDATION_FAILED');
      const me = await server.graphql(ME_ORDERS, { first: 2, after: garbage }, { authorization: `Bearer ${client.token}` });
      expect(codeOf(me), `me.orders after ${label}`).toBe('VALIDATION_FAILED');
    }
  });

  it('refuses a well-formed cursor that is not an orders cursor (a products cursor, a bad date) with VALIDATION_FAILED, not an internal error', async () => {
    const { id, position } = await customerWithOrders(2);
    const sku = `${skuPrefix()}A`;
    const added = await command(staff, 'addProduct', { sku, name: 'Cursor donor', priceCents: 100, initialStock: 1 });
    const productCursor = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 1, p: added.position })).products.pageInfo
      .endCursor!;
    expect(JSON.parse(Buffer.from(productCursor, 'base64url').toString())).toHaveLength(1);
    const codes: Record<string, unknown> = {};
    for (const cursor of [productCursor, base64url(['not a date', 'x']), base64url([])]) {
      codes[Buffer.from(cursor, 'base64url').toString()] = codeOf(await asStaff(ORDERS, { c: id, first: 2, after: cursor, p: position }));
    }
    expect(Object.values(codes)).toHaveLength(3);
    expect(codes).toEqual(Object.fromEntries(Object.keys(codes).map((k) => [k, 'VALIDATION_FAILED'])));
  });

  it('refuses crafted cursors the database cannot take (a date at year -271821, a NUL, a lone surrogate) with VALIDATION_FAILED on their argument', async () => {
    const { id, position } = await customerWithOrders(1);
    const crafted: [string, string, Record<string, unknown>][] = [
      [
        'orders after a year -271821 date',
        ORDERS,
        { c: id, first: 2, after: base64url(['-271821-04-20T00:00:00.000Z', 'x']), p: position },
      ],
      [
        'orders before a year 275760 date',
        ORDERS,
        { c: id, last: 2, before: base64url(['+275760-09-13T00:00:00.000Z', 'x']), p: position },
      ],
      [
        'orders after an id with a NUL',
        ORDERS,
        { c: id, first: 2, after: base64url(['2020-01-01T00:00:00.000Z', 'a\u0000b']), p: position },
      ],
      ['products after a sku with a NUL', PRODUCTS, { first: 2, after: base64url(['A\u0000']) }],
      ['products before a sku with a lone surrogate', PRODUCTS, { last: 2, before: base64url(['A\ud800']) }],
    ];
    for (const [label, query, variables] of crafted) {
      const body = await asStaff(query, variables);
      const argument = 'after' in variables ? 'after' : 'before';
      expect({ label, errors: body.errors?.map((e) => e.extensions) }).toEqual({
        label,
        errors: [{ code: 'VALIDATION_FAILED', fieldErrors: [{ path: argument, message: expect.any(String) }] }],
      });
    }
  });

  it('names the before argument, not after, when it refuses a before cursor', async () => {
    const body = await asStaff(ORDERS, { last: 2, before: 'garbage' });
    expect(codeOf(body)).toBe('VALIDATION_FAILED');
    expect(body.errors?.[0]?.extensions?.fieldErrors).toEqual([{ path: 'before', message: expect.any(String) }]);
  });

  it('gives an empty page cursors it accepts back (null, or a cursor that pages on), not one it refuses', async () => {
    const { id, position } = await customerWithOrders(0);
    const empty = await orders({ c: id, first: 5, p: position });
    expect(empty).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } });
    for (const cursor of [empty.pageInfo.startCursor, empty.pageInfo.endCursor]) {
      if (cursor === null) continue;
      const next = await asStaff(ORDERS, { c: id, first: 5, after: cursor, p: position });
      expect({ cursor, errors: next.errors }).toEqual({ cursor, errors: undefined });
    }
  });

  it('pages orders backwards with last: 2 and before, mirroring the forward pages', async () => {
    const { id, position, newestFirst } = await customerWithOrders(5);
    const forward: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await orders({ c: id, first: 2, after, p: position });
      forward.push(...ids(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(forward).toEqual(newestFirst);

    const oldest = await orders({ c: id, last: 2, p: position });
    expect(ids(oldest)).toEqual(newestFirst.slice(3, 5));
    expect(oldest.totalCount).toBe(5);
    expect(oldest.pageInfo).toMatchObject({
      hasPreviousPage: true,
      startCursor: oldest.edges[0]!.cursor,
      endCursor: oldest.edges[1]!.cursor,
    });
    const middle = await orders({ c: id, last: 2, before: oldest.pageInfo.startCursor, p: position });
    expect(ids(middle)).toEqual(newestFirst.slice(1, 3));
    expect(middle.pageInfo.hasPreviousPage).toBe(true);
    expect(middle.pageInfo.hasNextPage).toBe(true);
    const newest = await orders({ c: id, last: 2, before: middle.pageInfo.startCursor, p: position });
    expect(ids(newest)).toEqual(newestFirst.slice(0, 1));
    expect(newest.pageInfo.hasPreviousPage).toBe(false);
  });

  it('pages the catalog by sku in order, with cursors that stay put when products are added around them', async () => {
    const prefix = skuPrefix();
    let position = '';
    for (const letter of ['D', 'B', 'F', 'A', 'C']) {
      position = (
        await command(staff, 'addProduct', { sku: `${prefix}${letter}`, name: `Paged ${letter}`, priceCents: 100, initialStock: 1 })
      ).position;
    }
    const walk = async () => {
      const skus: string[] = [];
      const cursors = new Map<string, string>();
      let after: string | undefined;
      let totalCount = 0;
      for (;;) {
        const page = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 2, after, p: position })).products;
        totalCount = page.totalCount;
        for (const edge of page.edges) {
          skus.push(edge.node.sku);
          cursors.set(edge.node.sku, edge.cursor);
        }
        if (page.edges.length > 0) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor!;
      }
      return { skus, cursors, totalCount };
    };
    const first = await walk();
    expect(first.skus).toEqual([...first.skus].sort());
    expect(new Set(first.skus).size).toBe(first.skus.length);
    expect(first.totalCount).toBe(first.skus.length);
    expect(first.skus.filter((s) => s.startsWith(prefix))).toEqual(['A', 'B', 'C', 'D', 'F'].map((l) => `${prefix}${l}`));

    // The same page twice has the same endCursor; so does the cursor of one sku across reads.
    const again = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 2, after: first.cursors.get(`${prefix}A`), p: position }))
      .products;
    const repeat = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 2, after: first.cursors.get(`${prefix}A`), p: position }))
      .products;
    expect(again.pageInfo.endCursor).toBe(repeat.pageInfo.endCursor);
    expect(again.pageInfo.endCursor).toBe(first.cursors.get(`${prefix}C`));

    position = (await command(staff, 'addProduct', { sku: `${prefix}E`, name: 'Paged E', priceCents: 100, initialStock: 1 })).position;
    position = (await command(staff, 'addProduct', { sku: `${prefix}0`, name: 'Paged 0', priceCents: 100, initialStock: 1 })).position;
    const next = (await staff.run<{ products: ProductPage }>(PRODUCTS, { first: 2, after: first.cursors.get(`${prefix}C`), p: position }))
      .products;
    expect(next.edges.map((e) => e.node.sku)).toEqual([`${prefix}D`, `${prefix}E`]);
    const second = await walk();
    expect(second.cursors.get(`${prefix}C`)).toBe(first.cursors.get(`${prefix}C`));
    expect(second.totalCount).toBe(first.totalCount + 2);

    const back = (await staff.run<{ products: ProductPage }>(PRODUCTS, { last: 2, before: first.cursors.get(`${prefix}C`), p: position }))
      .products;
    expect(back.edges.map((e) => e.node.sku)).toEqual([`${prefix}A`, `${prefix}B`]);
  });
});

describe('many orders in one query', () => {
  it('lists 20 orders with their items and history in one query, each with its own lines and events', async () => {
    const sku = `${skuPrefix()}N`;
    await command(staff, 'addProduct', { sku, name: 'Bulk', priceCents: 250, initialStock: 10_000 });
    const { id, client, position, newestFirst } = await customerWithOrders(20, sku);
    const { orders: page } = await client.run<{
      orders: {
        totalCount: number;
        edges: {
          node: {
            id: string;
            itemCount: number;
            totalCents: number;
            items: { sku: string; quantity: number }[];
            history: { type: string; version: number }[];
          };
        }[];
      };
    }>(
      `query($c: ID, $p: String) { orders(customerId: $c, first: 20, consistentWith: $p) {
        totalCount edges { node { id itemCount totalCents items { sku quantity } history { type version } } }
      } }`,
      { c: id, p: position },
    );
    expect(page.totalCount).toBe(20);
    expect(page.edges.map((e) => e.node.id)).toEqual(newestFirst);
    for (const { node } of page.edges) {
      const i = Number(node.id.slice(-2));
      expect(node.items, node.id).toEqual([{ sku, quantity: i + 2 }]);
      expect(node.itemCount).toBe(i + 2);
      expect(node.totalCents).toBe((i + 2) * 250);
      expect(node.history, node.id).toEqual([
        { type: 'OrderCreated', version: 1 },
        { type: 'ItemAdded', version: 2 },
        { type: 'ItemAdded', version: 3 },
      ]);
    }
    const viaMe = await client.run('{ me { orders(first: 20) { edges { node { id history { version } } } } } }');
    expect(viaMe.me.orders.edges.map((e: { node: { id: string; history: unknown[] } }) => [e.node.id, e.node.history.length])).toEqual(
      newestFirst.map((o) => [o, 3]),
    );
  });
});
