import { describe, expect, it } from 'vitest';
import { inProcessServer } from '../../../tests/support/inProcessServer.js';

// The whole server's plugins, in process (validation and variable coercion need no database).
function serverIn(env: Record<string, string>) {
  return inProcessServer(env).yoga;
}

const ADD_PRODUCT = 'mutation($input: AddProductInput!) { addProduct(input: $input) { __typename } }';
const PRODUCT_INPUT = { sku: 'S', name: 'n', priceCents: 1, initialStock: 1 };

/** Each mistake graphql-js answers with a suggestion: [what, query, variables, what the message still says]. */
const MISTAKES: [string, string, Record<string, unknown> | undefined, RegExp][] = [
  ['a field', '{ product(sku: "X") { skus } }', undefined, /Cannot query field "skus" on type "Product"\.$/],
  ['an argument', '{ product(skuu: "X") { sku } }', undefined, /Unknown argument "skuu" on field "Query\.product"\.$/],
  ['a type', 'query($s: OrderStatuss) { orders(status: $s) { totalCount } }', undefined, /Unknown type "OrderStatuss"\.$/],
  [
    'a field of a union (an inline fragment)',
    'mutation { addProduct(input: { sku: "S", name: "n", priceCents: 1, initialStock: 1 }) { code } }',
    undefined,
    /Cannot query field "code" on type "AddProductResult"\.$/,
  ],
  [
    'an enum value in the document',
    '{ orders(status: PAIDD) { totalCount } }',
    undefined,
    /Value "PAIDD" does not exist in "OrderStatus" enum\.$/,
  ],
  [
    'an input field in the document',
    'mutation { addProduct(input: { sku: "S", name: "n", priceCents: 1, initialStock: 1, namee: "x" }) { __typename } }',
    undefined,
    /Field "namee" is not defined by type "AddProductInput"\.$/,
  ],
  [
    'an enum value in a variable',
    'query($s: OrderStatus) { orders(status: $s) { totalCount } }',
    { s: 'PAIDD' },
    /Value "PAIDD" does not exist in "OrderStatus" enum\.$/,
  ],
  [
    'an input field in a variable',
    ADD_PRODUCT,
    { input: { ...PRODUCT_INPUT, namee: 'x' } },
    /Field "namee" is not defined by type "AddProductInput"\.$/,
  ],
];

async function messagesOf(server: ReturnType<typeof serverIn>, query: string, variables?: Record<string, unknown>): Promise<string[]> {
  const response = await server.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: { message: string }[] };
  return (body.errors ?? []).map((e) => e.message);
}

describe('suggestions in error messages', () => {
  const production = serverIn({ NODE_ENV: 'production' });
  const development = serverIn({ NODE_ENV: 'development' });

  it.each(MISTAKES)('are left out in production for %s, the error itself kept', async (_what, query, variables, stillSays) => {
    const messages = await messagesOf(production, query, variables);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join('\n')).not.toMatch(/Did you mean/);
    expect(
      messages.some((m) => stillSays.test(m)),
      messages.join('\n'),
    ).toBe(true);
  });

  it.each(MISTAKES)('are given in development (introspection on) for %s', async (_what, query, variables) => {
    expect((await messagesOf(development, query, variables)).join('\n')).toMatch(/Did you mean/);
  });
});
