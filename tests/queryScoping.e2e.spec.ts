import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { type TestServer, useTestServer } from './support/testServer.js';

// Queries, read-your-writes and roles over real HTTP: who may read what, for every query field. Data is made
// through mutations and read with `consistentWith` set to the last mutation's position. A customer
// reading what is not theirs gets exactly the answer for something that does not exist.

// Short enough that a wrongly-awaited consistency wait shows up as CONSISTENCY_TIMEOUT quickly.
const server = useTestServer({ CONSISTENCY_TIMEOUT_MS: '2000' });
let staff: ApiClient;
let admin: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', `staff-${randomUUID().slice(0, 8)}`);
  admin = await clientAs(server, 'admin', `admin-${randomUUID().slice(0, 8)}`);
});

const now = (): number => Math.floor(Date.now() / 1000);

type Body = Awaited<ReturnType<TestServer['graphql']>>;

/** POSTs an operation with the given bearer token (none: anonymous) and returns the raw body. */
const ask = (token: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<Body> =>
  server.graphql(query, variables, token ? { authorization: `Bearer ${token}` } : {});

const codeOf = (body: Body): unknown => body.errors?.[0]?.extensions?.code;

interface Shopper {
  id: string;
  email: string;
  token: string;
  client: ApiClient;
}

/** Registers a customer anonymously and signs in with the token the answer carries. */
async function shopper(name: string): Promise<Shopper> {
  const email = `${unique(name.toLowerCase())}@example.com`;
  const registered = await command(apiClient(server), 'registerCustomer', { name, email });
  expect(registered.__typename).toBe('RegisterCustomerSuccess');
  return { id: registered.customer.id, email, token: registered.token, client: apiClient(server, registered.token) };
}

async function product(priceCents = 500, initialStock = 100): Promise<string> {
  const sku = unique('SCOPE');
  expect((await command(staff, 'addProduct', { sku, name: `Thing ${sku}`, priceCents, initialStock })).__typename).toBe(
    'AddProductSuccess',
  );
  return sku;
}

/** One order of `who` with one line; `submit` moves it to SUBMITTED. Returns its id and the last position. */
async function orderOf(who: Shopper, sku: string, submit = false): Promise<{ orderId: string; position: string }> {
  const orderId = newOrderId();
  expect((await command(who.client, 'createOrder', { customerId: who.id, orderId })).__typename).toBe('CreateOrderSuccess');
  let last = await command(who.client, 'addItem', { orderId, sku, quantity: 2 });
  if (submit) last = await command(who.client, 'submitOrder', { orderId });
  expect(last.__typename).toMatch(/Success$/);
  return { orderId, position: last.position };
}

/** The two customers most tests need: A with a DRAFT and a SUBMITTED order, B with one DRAFT order. */
async function twoCustomers() {
  const sku = await product();
  const a = await shopper('Alice');
  const b = await shopper('Bob');
  const aDraft = await orderOf(a, sku);
  const aSubmitted = await orderOf(a, sku, true);
  const bDraft = await orderOf(b, sku);
  return { sku, a, b, aDraft: aDraft.orderId, aSubmitted: aSubmitted.orderId, bDraft: bDraft.orderId, position: bDraft.position };
}

const ORDERS_Q = `query($c: ID, $s: OrderStatus, $p: String) {
  orders(first: 100, customerId: $c, status: $s, consistentWith: $p) { totalCount edges { node { id customerId status } } }
}`;
const idsOf = (connection: { edges: { node: { id: string } }[] }): string[] => connection.edges.map((e) => e.node.id);

describe('anonymous callers', () => {
  it('are refused every query that needs an identity with UNAUTHENTICATED and no data', async () => {
    const { a, aSubmitted, position } = await twoCustomers();
    const queries: [string, string, Record<string, unknown>][] = [
      ['order', 'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: aSubmitted, p: position }],
      ['orders', 'query($p: String) { orders(first: 5, consistentWith: $p) { totalCount edges { node { id } } } }', { p: position }],
      [
        'orderHistory',
        'query($id: ID!, $p: String) { orderHistory(orderId: $id, consistentWith: $p) { type } }',
        { id: aSubmitted, p: position },
      ],
      ['orderAt', 'query($id: ID!) { orderAt(id: $id, version: 1) { id } }', { id: aSubmitted }],
      ['customer', 'query($id: ID!, $p: String) { customer(id: $id, consistentWith: $p) { id email } }', { id: a.id, p: position }],
      ['me', 'query($p: String) { me(consistentWith: $p) { id } }', { p: position }],
      ['projections', '{ projections { name } }', {}],
    ];
    for (const [field, query, variables] of queries) {
      const body = await ask(undefined, query, variables);
      expect(codeOf(body), field).toBe('UNAUTHENTICATED');
      expect((body.data as Record<string, unknown> | null | undefined)?.[field] ?? null, field).toBeNull();
      expect(JSON.stringify(body), field).not.toContain(aSubmitted);
      expect(JSON.stringify(body), field).not.toContain(a.email);
    }
  });

  it('are refused with UNAUTHENTICATED at once, not after waiting for a consistentWith position the read side has not reached', async () => {
    const { aSubmitted } = await twoCustomers();
    const future = '999999999999';
    const queries: [string, string, Record<string, unknown>][] = [
      ['order', 'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: aSubmitted, p: future }],
      ['orders', 'query($p: String) { orders(first: 5, consistentWith: $p) { totalCount } }', { p: future }],
      [
        'orderHistory',
        'query($id: ID!, $p: String) { orderHistory(orderId: $id, consistentWith: $p) { type } }',
        { id: aSubmitted, p: future },
      ],
      ['customer', 'query($p: String) { customer(id: "anyone", consistentWith: $p) { id } }', { p: future }],
      ['me', 'query($p: String) { me(consistentWith: $p) { id } }', { p: future }],
    ];
    const codes: Record<string, unknown> = {};
    for (const [field, query, variables] of queries) codes[field] = codeOf(await ask(undefined, query, variables));
    expect(codes).toEqual({
      order: 'UNAUTHENTICATED',
      orders: 'UNAUTHENTICATED',
      orderHistory: 'UNAUTHENTICATED',
      customer: 'UNAUTHENTICATED',
      me: 'UNAUTHENTICATED',
    });
  });

  it('may read a product and the catalog, with consistentWith', async () => {
    const sku = unique('ANON');
    const added = await command(staff, 'addProduct', { sku, name: 'Public thing', priceCents: 1234, initialStock: 7 });
    const body = await ask(
      undefined,
      'query($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { sku name priceCents onHand reserved available } products(first: 100, consistentWith: $p) { totalCount edges { node { sku } } } }',
      { sku, p: added.position },
    );
    expect(body.errors).toBeUndefined();
    const data = body.data as Record<string, any>;
    expect(data.product).toEqual({ sku, name: 'Public thing', priceCents: 1234, onHand: 7, reserved: 0, available: 7 });
    expect(data.products.edges.map((e: { node: { sku: string } }) => e.node.sku)).toContain(sku);
    expect(data.products.totalCount).toBeGreaterThanOrEqual(1);
    expect((await ask(undefined, '{ product(sku: "NO-SUCH-SKU") { sku } }')).data).toEqual({ product: null });
  });

  it('are not who a refused token makes you: an expired or wrongly signed token on product and products is UNAUTHENTICATED', async () => {
    const sku = await product();
    const secret = new TextEncoder().encode(server.services.config.jwt.secret);
    const expired = await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('someone')
      .setIssuedAt(now() - 7200)
      .setExpirationTime(now() - 3600)
      .sign(secret);
    const wrongSignature = await new SignJWT({ role: 'staff' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-but-32-chars-long!!'));
    const valid = await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(secret);
    const tampered = `${valid.slice(0, -4)}${valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const [label, token] of [
      ['expired', expired],
      ['wrong secret', wrongSignature],
      ['tampered signature', tampered],
    ] as const) {
      const one = await ask(token, 'query($sku: String!) { product(sku: $sku) { sku } }', { sku });
      expect(codeOf(one), label).toBe('UNAUTHENTICATED');
      expect((one.data as { product?: unknown } | null | undefined)?.product ?? null, label).toBeNull();
      const all = await ask(token, '{ products(first: 5) { totalCount } }');
      expect(codeOf(all), label).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await ask(expired, '{ product(sku: "x") { sku } }'))).toBe('UNAUTHENTICATED');
    expect((await ask(expired, '{ product(sku: "x") { sku } }')).errors?.[0]?.message).toMatch(/expired/);
    expect((await ask(valid, 'query($sku: String!) { product(sku: $sku) { sku } }', { sku })).data).toEqual({ product: { sku } });
  });
});

describe("one customer reading another's orders", () => {
  it('lets a customer read their own order through order, orderHistory and orderAt', async () => {
    const { a, aSubmitted, position } = await twoCustomers();
    const body = await ask(
      a.token,
      `query($id: ID!, $p: String) {
        order(id: $id, consistentWith: $p) { id customerId status itemCount history { type } }
        orderHistory(orderId: $id, consistentWith: $p) { type version }
        orderAt(id: $id) { id customerId status version }
        v1: orderAt(id: $id, version: 1) { status itemCount version }
      }`,
      { id: aSubmitted, p: position },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      order: {
        id: aSubmitted,
        customerId: a.id,
        status: 'SUBMITTED',
        itemCount: 2,
        history: [{ type: 'OrderCreated' }, { type: 'ItemAdded' }, { type: 'OrderSubmitted' }],
      },
      orderHistory: [
        { type: 'OrderCreated', version: 1 },
        { type: 'ItemAdded', version: 2 },
        { type: 'OrderSubmitted', version: 3 },
      ],
      orderAt: { id: aSubmitted, customerId: a.id, status: 'SUBMITTED', version: 3 },
      v1: { status: 'DRAFT', itemCount: 0, version: 1 },
    });
  });

  it('gives another customer null, [] and null for that order: the same answer, byte for byte, as for an id that does not exist', async () => {
    const { b, aSubmitted, position } = await twoCustomers();
    const query = `query($id: ID!, $p: String, $t: DateTime) {
      order(id: $id, consistentWith: $p) { id customerId status }
      orderHistory(orderId: $id, consistentWith: $p) { type data }
      orderAt(id: $id) { id customerId }
      v1: orderAt(id: $id, version: 1) { id }
      then: orderAt(id: $id, asOf: $t) { id }
    }`;
    const t = new Date().toISOString();
    const theirs = await ask(b.token, query, { id: aSubmitted, p: position, t });
    const missing = await ask(b.token, query, { id: unique('no-such-order'), p: position, t });
    expect(theirs).toEqual({ data: { order: null, orderHistory: [], orderAt: null, v1: null, then: null } });
    expect(theirs).toEqual(missing);
  });

  it("never lists another customer's orders in orders, also when asked for them by customerId, and counts only one's own", async () => {
    const { a, b, aDraft, aSubmitted, bDraft, position } = await twoCustomers();
    const own = (await b.client.run(ORDERS_Q, { p: position })).orders;
    expect(idsOf(own)).toEqual([bDraft]);
    expect(own.totalCount).toBe(1);

    const prying = (await b.client.run(ORDERS_Q, { c: a.id, p: position })).orders;
    expect(prying).toEqual({ totalCount: 0, edges: [] });
    const pryingByStatus = (await b.client.run(ORDERS_Q, { c: a.id, s: 'SUBMITTED', p: position })).orders;
    expect(pryingByStatus).toEqual({ totalCount: 0, edges: [] });

    const ownByStatus = (await b.client.run(ORDERS_Q, { s: 'SUBMITTED', p: position })).orders;
    expect(ownByStatus).toEqual({ totalCount: 0, edges: [] });
    const aOwn = (await a.client.run(ORDERS_Q, { c: a.id, p: position })).orders;
    expect(new Set(idsOf(aOwn))).toEqual(new Set([aDraft, aSubmitted]));
    expect(aOwn.totalCount).toBe(2);
    const aSubmittedOnly = (await a.client.run(ORDERS_Q, { s: 'SUBMITTED', p: position })).orders;
    expect(aSubmittedOnly).toEqual({ totalCount: 1, edges: [{ node: { id: aSubmitted, customerId: a.id, status: 'SUBMITTED' } }] });
  });

  it('answers customer(id) only for oneself (null for anyone else, as for a missing id) and me with oneself', async () => {
    const { a, b, position } = await twoCustomers();
    const q = 'query($id: ID!, $p: String) { customer(id: $id, consistentWith: $p) { id name email orderCount } }';
    expect(await ask(b.token, q, { id: a.id, p: position })).toEqual({ data: { customer: null } });
    expect(await ask(b.token, q, { id: unique('nobody'), p: position })).toEqual({ data: { customer: null } });
    expect((await a.client.run(q, { id: a.id, p: position })).customer).toMatchObject({ id: a.id, name: 'Alice', orderCount: 2 });

    const me = 'query($p: String) { me(consistentWith: $p) { id name orderCount } }';
    expect((await a.client.run(me, { p: position })).me).toEqual({ id: a.id, name: 'Alice', orderCount: 2 });
    expect((await b.client.run(me, { p: position })).me).toEqual({ id: b.id, name: 'Bob', orderCount: 1 });
  });

  it("lists only one's own orders under me.orders", async () => {
    const { a, b, aDraft, aSubmitted, bDraft, position } = await twoCustomers();
    const q = 'query($p: String) { me(consistentWith: $p) { id orders(first: 50) { totalCount edges { node { id customerId } } } } }';
    const aMe = (await a.client.run(q, { p: position })).me;
    expect(new Set(idsOf(aMe.orders))).toEqual(new Set([aDraft, aSubmitted]));
    expect(aMe.orders.totalCount).toBe(2);
    const bMe = (await b.client.run(q, { p: position })).me;
    expect(bMe.orders).toEqual({ totalCount: 1, edges: [{ node: { id: bDraft, customerId: b.id } }] });
  });

  it('refuses projections to a customer with FORBIDDEN', async () => {
    const { a } = await twoCustomers();
    const body = await ask(a.token, '{ projections { name status } }');
    expect(codeOf(body)).toBe('FORBIDDEN');
    expect(body.data ?? null).toBeNull();
  });
});

describe('staff reading', () => {
  it('shows every projection to staff and to admin', async () => {
    for (const who of [staff, admin]) {
      const { projections } = await who.run('{ projections { name position lag status lastError } }');
      expect(projections.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['orders', 'customers', 'inventory']));
      for (const p of projections)
        expect(p).toMatchObject({
          name: expect.any(String),
          position: expect.stringMatching(/^\d+$/),
          lag: expect.any(Number),
          status: expect.any(String),
        });
    }
  });

  it('answers me with null for staff and admin, who are not customers', async () => {
    const { position } = await twoCustomers();
    for (const who of [staff, admin])
      expect(await who.run('query($p: String) { me(consistentWith: $p) { id } }', { p: position })).toEqual({ me: null });
  });

  it('lets staff read any order, its history, its past and its customer', async () => {
    const { a, aSubmitted, position } = await twoCustomers();
    const data = await staff.run(
      `query($id: ID!, $c: ID!, $p: String) {
        order(id: $id, consistentWith: $p) { id customerId status }
        orderHistory(orderId: $id, consistentWith: $p) { type }
        orderAt(id: $id, version: 2) { status itemCount }
        customer(id: $c, consistentWith: $p) { id name orderCount orders(first: 10) { totalCount } }
      }`,
      { id: aSubmitted, c: a.id, p: position },
    );
    expect(data).toEqual({
      order: { id: aSubmitted, customerId: a.id, status: 'SUBMITTED' },
      orderHistory: [{ type: 'OrderCreated' }, { type: 'ItemAdded' }, { type: 'OrderSubmitted' }],
      orderAt: { status: 'DRAFT', itemCount: 2 },
      customer: { id: a.id, name: 'Alice', orderCount: 2, orders: { totalCount: 2 } },
    });
  });

  it("shows staff every customer's orders and filters them by customerId and by status", async () => {
    const { a, b, aDraft, aSubmitted, bDraft, position } = await twoCustomers();
    const everything = (await staff.run(ORDERS_Q, { p: position })).orders;
    expect(idsOf(everything)).toEqual(expect.arrayContaining([aDraft, aSubmitted, bDraft]));
    expect(everything.totalCount).toBeGreaterThanOrEqual(3);

    const ofA = (await staff.run(ORDERS_Q, { c: a.id, p: position })).orders;
    expect(ofA.totalCount).toBe(2);
    expect(new Set(idsOf(ofA))).toEqual(new Set([aDraft, aSubmitted]));
    expect((await staff.run(ORDERS_Q, { c: b.id, p: position })).orders).toEqual({
      totalCount: 1,
      edges: [{ node: { id: bDraft, customerId: b.id, status: 'DRAFT' } }],
    });
    expect((await staff.run(ORDERS_Q, { c: a.id, s: 'DRAFT', p: position })).orders).toEqual({
      totalCount: 1,
      edges: [{ node: { id: aDraft, customerId: a.id, status: 'DRAFT' } }],
    });

    const submitted = (await staff.run(ORDERS_Q, { s: 'SUBMITTED', p: position })).orders;
    expect(idsOf(submitted)).toContain(aSubmitted);
    expect(idsOf(submitted)).not.toContain(bDraft);
    for (const edge of submitted.edges) expect(edge.node.status).toBe('SUBMITTED');
    expect(submitted.totalCount).toBe(submitted.edges.length);
  });
});

describe('projection admin mutations', () => {
  const mutation = (name: 'retryProjection' | 'skipProjectionEvent') =>
    `mutation($input: ProjectionNameInput!) { ${name}(input: $input) { __typename ... on Error { code message } ... on ProjectionStatus { name status } } }`;

  for (const name of ['retryProjection', 'skipProjectionEvent'] as const) {
    it(`answers ${name} with FORBIDDEN for customers and staff and UNAUTHENTICATED for anonymous or refused callers, as results`, async () => {
      const { a } = await twoCustomers();
      const expired = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('root')
        .setIssuedAt(now() - 7200)
        .setExpirationTime(now() - 3600)
        .sign(new TextEncoder().encode(server.services.config.jwt.secret));
      const callers: [string, string | undefined, string][] = [
        ['customer', a.token, 'ForbiddenError'],
        ['staff', staff.token, 'ForbiddenError'],
        ['anonymous', undefined, 'UnauthenticatedError'],
        ['expired admin token', expired, 'UnauthenticatedError'],
      ];
      for (const [label, token, typename] of callers) {
        for (const projection of ['orders', 'no-such-projection']) {
          const body = await ask(token, mutation(name), { input: { name: projection } });
          expect(body.errors, label).toBeUndefined();
          const result = (body.data as Record<string, any>)[name];
          expect(result, `${label} on ${projection}`).toMatchObject({
            __typename: typename,
            code: typename === 'ForbiddenError' ? 'FORBIDDEN' : 'UNAUTHENTICATED',
          });
        }
      }
    });

    it(`answers ${name} from an admin with INVALID_STATE for a RUNNING projection and NOT_FOUND for an unknown name, changing nothing`, async () => {
      const before = (await admin.run('{ projections { name status position } }')).projections;
      const running = (await admin.run(mutation(name), { input: { name: 'orders' } }))[name];
      expect(running).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
      const unknown = (await admin.run(mutation(name), { input: { name: unique('nope') } }))[name];
      expect(unknown).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      const after = (await admin.run('{ projections { name status } }')).projections;
      expect(after).toEqual(before.map((p: { name: string; status: string }) => ({ name: p.name, status: 'RUNNING' })));
    });
  }
});
