import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARGUMENT_STRING_LENGTH } from '../src/graphql/security/argumentBounds.js';
import { LIMIT_CODES } from '../src/graphql/security/operationLimits.js';
import { clientAs, command, commandMutation, unique, type ApiClient } from './support/api.js';
import { codesOf, postRaw, wsOperation } from './support/hardening.js';
import { useTestServer } from './support/testServer.js';

// Hostile input against the default configuration: every request below gets a typed, bounded
// answer (a 4xx or a coded error), never a 500, a hang or a leak of internals.

const server = useTestServer();
let staff: ApiClient;
let authorization: string;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'hostile-staff');
  authorization = `Bearer ${staff.token}`;
});

const post = (body: unknown, headers: Record<string, string> = {}) => postRaw(server.app.url, body, { authorization, ...headers });
const addProduct = (input: Record<string, unknown>) => post({ query: commandMutation('addProduct'), variables: { input } });
const product = (overrides: Record<string, unknown> = {}) => ({
  sku: unique('HOST'),
  name: 'Hostile',
  priceCents: 100,
  initialStock: 1,
  ...overrides,
});

/** Asserts a command answered VALIDATION_FAILED naming `path`. */
function expectValidationFailed(answer: Awaited<ReturnType<typeof post>>, path: string) {
  expect(answer.status).toBe(200);
  const result = answer.body.data?.addProduct;
  expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
  expect(result.fieldErrors.map((e: { path: string }) => e.path)).toContain(path);
}

describe('strings', () => {
  it('answers a 50 kB name (under the body limit) with VALIDATION_FAILED on input.name, not a 500', async () => {
    expectValidationFailed(await addProduct(product({ name: 'n'.repeat(50_000) })), 'input.name');
  });

  it('answers a body past MAX_BODY_BYTES (a 200 kB name) with 413 before parsing it', async () => {
    const answer = await addProduct(product({ name: 'n'.repeat(200_000) }));
    expect(answer.status).toBe(413);
    expect(codesOf(answer.body)).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
  });

  it.each([
    ['an order id', '{ order(id: $s) { id } }', 'ID!', 'order.id'],
    ['a sku', '{ product(sku: $s) { sku } }', 'String!', 'product.sku'],
    ['a cursor', '{ products(after: $s) { totalCount } }', 'String', 'products.after'],
    ['a customer id filter', '{ orders(customerId: $s) { totalCount } }', 'ID', 'orders.customerId'],
  ])('refuses %s over %i characters with VALIDATION_FAILED before any resolver runs', async (_label, selection, type, path) => {
    const query = `query($s: ${type}) ${selection}`;
    const answer = await post({ query, variables: { s: 'x'.repeat(MAX_ARGUMENT_STRING_LENGTH + 1) } });
    expect(answer.body.data ?? undefined).toBeUndefined();
    expect(answer.body.errors![0]!.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ path, message: expect.stringContaining(String(MAX_ARGUMENT_STRING_LENGTH)) }],
    });
  });

  it('bounds strings in literals too, over graphql-ws as over HTTP', async () => {
    const long = 'x'.repeat(MAX_ARGUMENT_STRING_LENGTH + 1);
    const answer = await post({ query: `{ order(id: "${long}") { id } }` });
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'order.id' }] });
    const overWs = await wsOperation(server.wsUrl, 'subscription($sku: String) { inventoryChanged(sku: $sku) { sku } }', { sku: long });
    expect(codesOf(overWs)).toEqual(['VALIDATION_FAILED']);
  });

  it('accepts a lookup string at the bound (it simply finds nothing)', async () => {
    const answer = await post({
      query: 'query($s: String!) { product(sku: $s) { sku } }',
      variables: { s: 'x'.repeat(MAX_ARGUMENT_STRING_LENGTH) },
    });
    expect(answer.body).toEqual({ data: { product: null } });
  });
});

describe('text PostgreSQL cannot store', () => {
  const cases = [
    ['a NUL character in the name', { name: 'Ha\u0000ck' }, 'input.name'],
    ['a lone surrogate in the name', { name: 'Ha\uD800ck' }, 'input.name'],
    ['a NUL character in the commandId', { commandId: 'cmd-\u0000' }, 'input.commandId'],
    ['a lone surrogate in the sku', { sku: 'SKU-\uDC00' }, 'input.sku'],
  ] as const;

  it.each(cases)(
    'answers %s with VALIDATION_FAILED on its field, over JSON escapes as a client sends them',
    async (_label, overrides, path) => {
      expectValidationFailed(await addProduct(product(overrides)), path);
    },
  );

  it('never lets poisoned commands hold up honest ones sent in the same moment: every honest one commits', async () => {
    const honest = Array.from({ length: 12 }, () => product());
    const answers = await Promise.all([
      ...honest.map((input) => addProduct(input)),
      ...Array.from({ length: 12 }, (_, i) => addProduct(product({ name: i % 2 ? 'nul\u0000' : 'lone\uDBFF' }))),
    ]);
    expect(answers.slice(0, 12).map((a) => a.body.data?.addProduct.__typename)).toEqual(Array(12).fill('AddProductSuccess'));
    expect(answers.slice(12).map((a) => a.body.data?.addProduct.code)).toEqual(Array(12).fill('VALIDATION_FAILED'));
    const register = await post({
      query:
        'mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { __typename ... on ValidationError { fieldErrors { path } } } }',
      variables: { input: { name: 'Eve\u0000', email: `${unique('eve')}@example.com` } },
    });
    expect(register.body.data?.registerCustomer).toEqual({ __typename: 'ValidationError', fieldErrors: [{ path: 'input.name' }] });
  });
});

describe('numbers', () => {
  it.each([
    ['a negative price', { priceCents: -1 }, 'input.priceCents'],
    ['a zero price', { priceCents: 0 }, 'input.priceCents'],
    ['negative stock', { initialStock: -5 }, 'input.initialStock'],
  ])('answers %s with VALIDATION_FAILED', async (_label, overrides, path) => {
    expectValidationFailed(await addProduct(product(overrides)), path);
  });

  it.each([
    ['2^31 (past a 32-bit Int)', 2 ** 31],
    ['-2^31 - 1', -(2 ** 31) - 1],
    ['1e40', 1e40],
    ['a fraction', 1.5],
    ['a numeric string', '100'],
  ])('refuses %s for an Int with a GraphQL variable error (HTTP 400), executing nothing', async (_label, priceCents) => {
    const answer = await addProduct(product({ priceCents }));
    expect(answer.status).toBe(400);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors![0]!.message).toMatch(/\$input.*priceCents/);
  });

  it('answers quantity 1001 and first: 101 with VALIDATION_FAILED', async () => {
    const restock = await post({ query: commandMutation('restockProduct'), variables: { input: { sku: 'ANY', quantity: -3 } } });
    expect(restock.body.data?.restockProduct).toMatchObject({ code: 'VALIDATION_FAILED' });
    const page = await post({ query: '{ products(first: 101) { totalCount } }' });
    expect(codesOf(page.body)).toEqual(['VALIDATION_FAILED']);
  });
});

describe('positions', () => {
  const beyond64Bits = (2n ** 63n).toString();

  it('answers a consistentWith past 2^63 - 1 (or not a decimal) with VALIDATION_FAILED on consistentWith', async () => {
    for (const position of [beyond64Bits, '9'.repeat(19), '-1', '1e3']) {
      const answer = await post({
        query: 'query($p: String) { products(first: 1, consistentWith: $p) { totalCount } }',
        variables: { p: position },
      });
      expect({ position, errors: answer.body.errors?.map((e) => e.extensions) }).toEqual({
        position,
        errors: [{ code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'consistentWith', message: expect.any(String) }] }],
      });
    }
  });

  it('answers orderStatusChanged with an after past 2^63 - 1 with VALIDATION_FAILED on after, over graphql-ws and SSE', async () => {
    const query = 'subscription($id: ID!, $after: String) { orderStatusChanged(orderId: $id, after: $after) { position } }';
    const customer = await command(staff, 'registerCustomer', { name: 'Resumer', email: `${unique('resume')}@example.com` });
    const order = await command(staff, 'createOrder', { customerId: customer.customer.id, orderId: unique('resume') });
    // The order must be readable, so the subscription would go on to read its history after the position.
    await staff.run('query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: order.order.id, p: order.position });
    const variables = { id: order.order.id, after: beyond64Bits };
    const overWs = await wsOperation(server.wsUrl, query, variables, authorization);
    expect(overWs.errors?.map((e) => e.extensions)).toEqual([
      { code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'after', message: expect.any(String) }] },
    ]);
    const overSse = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization },
      body: JSON.stringify({ query, variables }),
    });
    const stream = await overSse.text();
    expect(stream).toContain('"code":"VALIDATION_FAILED"');
    expect(stream).toContain('"path":"after"');
  });
});

describe('documents', () => {
  it('refuses a deeply nested query with QUERY_TOO_DEEP', async () => {
    const deep = `{ ${'orders { edges { node { '.repeat(5)}id${' } } }'.repeat(5)} }`;
    expect(codesOf((await post({ query: deep })).body)).toContain(LIMIT_CODES.depth);
  });

  it('refuses 100 aliases with TOO_MANY_ALIASES', async () => {
    const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: headPosition`).join(' ')} }`;
    expect(codesOf((await post({ query })).body)).toContain(LIMIT_CODES.aliases);
  });

  it('refuses 20,000 tokens with TOO_MANY_TOKENS (HTTP 400)', async () => {
    const answer = await post({ query: `{ ${'a '.repeat(20_000)}}` });
    expect(answer.status).toBe(400);
    expect(codesOf(answer.body)).toEqual([LIMIT_CODES.tokens]);
  });

  it('rejects an unknown input field by GraphQL validation (HTTP 400), executing nothing', async () => {
    const answer = await post({
      query: 'mutation { addProduct(input: { sku: "S", name: "n", priceCents: 1, initialStock: 1, isAdmin: true }) { __typename } }',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.message).toMatch(/isAdmin.*not defined/);
    const viaVariables = await addProduct({ ...product(), isAdmin: true });
    expect(viaVariables.status).toBe(400);
    expect(viaVariables.body.errors![0]!.message).toMatch(/isAdmin/);
  });

  it('refuses a batched (array) body with 400: batching is off', async () => {
    const answer = await post([{ query: '{ headPosition }' }, { query: '{ headPosition }' }]);
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.message).toMatch(/batching/i);
  });

  it('answers malformed JSON with 400', async () => {
    const answer = await post('{"query": "{ headPosition }"');
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(1);
  });

  it.each([
    ['a JSON body that is not an object', '"{ headPosition }"'],
    ['a query that is not a string', '{"query": 42}'],
    ['variables that are not an object', '{"query": "{ headPosition }", "variables": [1]}'],
  ])('answers %s with 400', async (_label, body) => {
    expect((await post(body)).status).toBe(400);
  });

  it('answers a content type it does not speak with 415', async () => {
    const xml = await fetch(server.app.url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' });
    expect(xml.status).toBe(415);
    // Without any content type a browser could have sent it cross-site: CSRF prevention answers first.
    const none = await fetch(server.app.url, { method: 'POST', body: new Uint8Array(Buffer.from('{"query":"{ headPosition }"}')) });
    expect(none.status).toBe(403);
    const declared = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'x-graphql-yoga-csrf': '1' },
      body: new Uint8Array(Buffer.from('{"query":"{ headPosition }"}')),
    });
    expect(declared.status).toBe(415);
  });

  it('answers the projection admin mutations for an over-long name with NOT_FOUND, echoing a bounded name', async () => {
    const admin = `Bearer ${(await clientAs(server, 'admin', 'hostile-admin')).token}`;
    const answer = await post(
      {
        query: 'mutation($n: String!) { retryProjection(input: { name: $n }) { ... on Error { code message } } }',
        variables: { n: 'p'.repeat(50_000) },
      },
      { authorization: admin },
    );
    expect(answer.body.data?.retryProjection.code).toBe('NOT_FOUND');
    expect(answer.body.data?.retryProjection.message.length).toBeLessThan(300);
  });

  it('refuses a mutation over GET with 405', async () => {
    const url = new URL(server.app.url);
    url.searchParams.set('query', 'mutation { registerCustomer(input: { name: "G", email: "g@example.com" }) { __typename } }');
    const response = await fetch(url, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/graphql-response+json' } });
    expect(response.status).toBe(405);
  });
});
