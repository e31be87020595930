import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, commandMutation, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// The customer and catalog commands plus createOrder, over real HTTP: every rejection is a
// typed member of the mutation's result union, asserted on `__typename` and `code`.

const server = useTestServer();
let staff: ApiClient;
let admin: ApiClient;
let anonymous: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'staff-errors');
  admin = await clientAs(server, 'admin', 'admin-errors');
  anonymous = apiClient(server);
});

const CUSTOMER = '... on RegisterCustomerSuccess { token customer { id name email } }';
const PRODUCT = '... on AddProductSuccess { product { sku name priceCents onHand reserved available } }';
const RESTOCK = '... on RestockProductSuccess { product { sku onHand reserved available } }';

const uniqueEmail = (): string => `${unique('user')}@example.com`;

/** Fails with the whole result when a command that should succeed did not. */
function succeeded(result: Record<string, any>): Record<string, any> {
  expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
  return result;
}

async function register(name = 'Test Customer', email = uniqueEmail()): Promise<{ id: string; client: ApiClient; email: string }> {
  const result = succeeded(await command(anonymous, 'registerCustomer', { name, email }, CUSTOMER));
  return { id: result.customer.id, client: apiClient(server, result.token), email };
}

async function addProduct(priceCents = 1000, initialStock = 10): Promise<string> {
  const sku = unique('SKU');
  succeeded(await command(staff, 'addProduct', { sku, name: `Product ${sku}`, priceCents, initialStock }, PRODUCT));
  return sku;
}

describe('registerCustomer rejections', () => {
  it.each(['not-an-email', 'missing-at.example.com', 'a@', ''])(
    'rejects the email %j with VALIDATION_FAILED on input.email',
    async (email) => {
      const result = await command(anonymous, 'registerCustomer', { name: 'Ada', email }, CUSTOMER);
      expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.email' }] });
      expect(result.fieldErrors[0].message).toEqual(expect.any(String));
    },
  );

  it.each(['', '   '])('rejects the empty name %j with VALIDATION_FAILED on input.name', async (name) => {
    const result = await command(anonymous, 'registerCustomer', { name, email: uniqueEmail() }, CUSTOMER);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.name' }] });
  });

  it('rejects a name over 200 characters and accepts one of exactly 200', async () => {
    const tooLong = await command(anonymous, 'registerCustomer', { name: 'n'.repeat(201), email: uniqueEmail() }, CUSTOMER);
    expect(tooLong).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.name' }] });
    const longest = await command(anonymous, 'registerCustomer', { name: 'n'.repeat(200), email: uniqueEmail() }, CUSTOMER);
    expect(longest).toMatchObject({ __typename: 'RegisterCustomerSuccess', customer: { name: 'n'.repeat(200) } });
  });

  it('reports every invalid field at once', async () => {
    const result = await command(anonymous, 'registerCustomer', { name: '', email: 'nope' }, CUSTOMER);
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(result.fieldErrors.map((e: { path: string }) => e.path).sort()).toEqual(['input.email', 'input.name']);
  });

  it('rejects an email that is already registered with EMAIL_TAKEN', async () => {
    const { email } = await register();
    const result = await command(anonymous, 'registerCustomer', { name: 'Someone Else', email }, CUSTOMER);
    expect(result).toMatchObject({ __typename: 'EmailTakenError', code: 'EMAIL_TAKEN' });
  });

  it('treats an email in different letter case as the same address and answers EMAIL_TAKEN', async () => {
    const local = unique('Mixed.Case');
    await register('First', `${local.toLowerCase()}@example.com`);
    const result = await command(anonymous, 'registerCustomer', { name: 'Second', email: `${local.toUpperCase()}@EXAMPLE.COM` }, CUSTOMER);
    expect(result).toMatchObject({ __typename: 'EmailTakenError', code: 'EMAIL_TAKEN' });
  });
});

describe('addProduct rejections', () => {
  it('refuses a customer with FORBIDDEN and an anonymous caller with UNAUTHENTICATED', async () => {
    const customer = await clientAs(server, 'customer', unique('cust'));
    const input = { sku: unique('SKU'), name: 'Lamp', priceCents: 1000, initialStock: 1 };
    expect(await command(customer, 'addProduct', input, PRODUCT)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await command(anonymous, 'addProduct', input, PRODUCT)).toMatchObject({
      __typename: 'UnauthenticatedError',
      code: 'UNAUTHENTICATED',
    });
    // Neither attempt created the product: staff can still add that sku.
    expect(await command(staff, 'addProduct', input, PRODUCT)).toMatchObject({ __typename: 'AddProductSuccess', aggregateId: input.sku });
  });

  it('rejects a sku that already exists with SKU_TAKEN', async () => {
    const sku = await addProduct();
    const result = await command(staff, 'addProduct', { sku, name: 'Duplicate', priceCents: 50, initialStock: 1 }, PRODUCT);
    expect(result).toMatchObject({ __typename: 'SkuTakenError', code: 'SKU_TAKEN' });
  });

  it.each([0, -1])('rejects priceCents %i with VALIDATION_FAILED on input.priceCents', async (priceCents) => {
    const result = await command(staff, 'addProduct', { sku: unique('SKU'), name: 'Free', priceCents, initialStock: 1 }, PRODUCT);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.priceCents' }] });
  });

  it('rejects a negative initialStock with VALIDATION_FAILED on input.initialStock and accepts zero', async () => {
    const negative = await command(staff, 'addProduct', { sku: unique('SKU'), name: 'Hole', priceCents: 100, initialStock: -1 }, PRODUCT);
    expect(negative).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ path: 'input.initialStock' }],
    });
    const zero = await command(staff, 'addProduct', { sku: unique('SKU'), name: 'Empty shelf', priceCents: 100, initialStock: 0 }, PRODUCT);
    expect(zero).toMatchObject({ __typename: 'AddProductSuccess', product: { onHand: 0, available: 0 } });
  });

  it('accepts the largest 32-bit price and refuses a larger one with a GraphQL error, not a 500', async () => {
    const largest = await command(
      staff,
      'addProduct',
      { sku: unique('SKU'), name: 'Yacht', priceCents: 2147483647, initialStock: 1 },
      PRODUCT,
    );
    expect(largest).toMatchObject({ __typename: 'AddProductSuccess', product: { priceCents: 2147483647 } });

    const sku = unique('SKU');
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${staff.token}` },
      body: JSON.stringify({
        query: commandMutation('addProduct', PRODUCT),
        variables: { input: { sku, name: 'Too dear', priceCents: 2147483648, initialStock: 1 } },
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors?: { message: string }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.message).toMatch(/priceCents|32-bit|Int/);
    // Nothing was added under that sku.
    expect(await command(staff, 'restockProduct', { sku, quantity: 1 }, RESTOCK)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('restockProduct rejections', () => {
  it.each([0, -5])('rejects quantity %i with VALIDATION_FAILED on input.quantity', async (quantity) => {
    const sku = await addProduct();
    const result = await command(staff, 'restockProduct', { sku, quantity }, RESTOCK);
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.quantity' }] });
  });

  it('rejects an unknown sku with NOT_FOUND', async () => {
    const result = await command(staff, 'restockProduct', { sku: unique('NOPE'), quantity: 3 }, RESTOCK);
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  // Stock is a 32-bit Int in the schema, but nothing bounds onHand after a restock: the event is
  // appended and the answer cannot be serialised. Expected: a typed rejection, nothing appended.
  it('rejects a restock that would take onHand past the largest GraphQL Int with VALIDATION_FAILED and appends nothing', async () => {
    const sku = await addProduct(100, 2147483000);
    const versionOnly = '... on CommandSuccess { version }';
    const body = await server.graphql<Record<string, any>>(
      commandMutation('restockProduct', versionOnly),
      { input: { sku, quantity: 1000 } },
      { authorization: `Bearer ${staff.token}` },
    );
    expect.soft(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect.soft(body.data?.restockProduct).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    // A small restock still fits and shows the refused one appended nothing (version 1 -> 2).
    const small = await server.graphql<Record<string, any>>(
      'mutation($input: RestockProductInput!) { restockProduct(input: $input) { __typename ... on CommandSuccess { version } } }',
      { input: { sku, quantity: 1 } },
      { authorization: `Bearer ${staff.token}` },
    );
    expect(small.data?.restockProduct).toEqual({ __typename: 'RestockProductSuccess', version: 2 });
  });

  it('refuses a customer with FORBIDDEN and an anonymous caller with UNAUTHENTICATED', async () => {
    const sku = await addProduct(1000, 2);
    const customer = await clientAs(server, 'customer', unique('cust'));
    expect(await command(customer, 'restockProduct', { sku, quantity: 1 }, RESTOCK)).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
    expect(await command(anonymous, 'restockProduct', { sku, quantity: 1 }, RESTOCK)).toMatchObject({
      __typename: 'UnauthenticatedError',
      code: 'UNAUTHENTICATED',
    });
    expect(await command(staff, 'restockProduct', { sku, quantity: 1 }, RESTOCK)).toMatchObject({ product: { onHand: 3 } });
  });
});

describe('createOrder rejections', () => {
  it('rejects an unknown customer with NOT_FOUND', async () => {
    const result = await command(staff, 'createOrder', { customerId: unique('ghost'), orderId: newOrderId() });
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('rejects a client-chosen orderId that already exists with ALREADY_EXISTS', async () => {
    const { id, client } = await register();
    const orderId = newOrderId();
    succeeded(await command(client, 'createOrder', { customerId: id, orderId }));
    const again = await command(client, 'createOrder', { customerId: id, orderId });
    expect(again).toMatchObject({ __typename: 'AlreadyExistsError', code: 'ALREADY_EXISTS' });
    expect(await command(staff, 'createOrder', { customerId: id, orderId })).toMatchObject({
      __typename: 'AlreadyExistsError',
      code: 'ALREADY_EXISTS',
    });
  });

  it('lets a customer create their own order but refuses one for another customer with FORBIDDEN', async () => {
    const me = await register();
    const other = await register();
    const mine = await command(me.client, 'createOrder', { customerId: me.id });
    expect(mine).toMatchObject({ __typename: 'CreateOrderSuccess', order: { customerId: me.id, status: 'DRAFT' } });
    const theirs = await command(me.client, 'createOrder', { customerId: other.id, orderId: newOrderId() });
    expect(theirs).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    // A customer id that does not exist is refused the same way, so it reveals nothing.
    expect(await command(me.client, 'createOrder', { customerId: unique('ghost') })).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
  });

  it('lets a customer choose only a UUID as orderId, so an id another customer uses cannot be probed', async () => {
    const other = await register();
    const taken = unique('order');
    succeeded(await command(staff, 'createOrder', { customerId: other.id, orderId: taken }));
    const me = await register();
    for (const orderId of [taken, unique('order')]) {
      const result = await command(me.client, 'createOrder', { customerId: me.id, orderId });
      expect(result, orderId).toMatchObject({
        __typename: 'ValidationError',
        code: 'VALIDATION_FAILED',
        fieldErrors: [{ path: 'input.orderId' }],
      });
    }
    const uuid = newOrderId();
    expect(await command(me.client, 'createOrder', { customerId: me.id, orderId: uuid })).toMatchObject({
      __typename: 'CreateOrderSuccess',
      aggregateId: uuid,
    });
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const { id } = await register();
    expect(await command(anonymous, 'createOrder', { customerId: id })).toMatchObject({
      __typename: 'UnauthenticatedError',
      code: 'UNAUTHENTICATED',
    });
  });

  it('lets staff create an order for any customer and generates an id when none is chosen', async () => {
    const { id } = await register();
    const result = await command(staff, 'createOrder', { customerId: id });
    expect(result).toMatchObject({ __typename: 'CreateOrderSuccess', version: 1, order: { customerId: id, status: 'DRAFT' } });
    expect(result.aggregateId).toBe(result.order.id);
  });
});

describe('admin', () => {
  it('may add and restock products and create orders for any customer, like staff', async () => {
    const sku = unique('ADM');
    expect(await command(admin, 'addProduct', { sku, name: 'Admin lamp', priceCents: 999, initialStock: 1 }, PRODUCT)).toMatchObject({
      __typename: 'AddProductSuccess',
      aggregateId: sku,
    });
    expect(await command(admin, 'restockProduct', { sku, quantity: 4 }, RESTOCK)).toMatchObject({
      __typename: 'RestockProductSuccess',
      product: { onHand: 5 },
    });
    const { id } = await register();
    expect(await command(admin, 'createOrder', { customerId: id, orderId: newOrderId() })).toMatchObject({
      __typename: 'CreateOrderSuccess',
      order: { customerId: id },
    });
    expect(await command(admin, 'addProduct', { sku, name: 'Again', priceCents: 1, initialStock: 0 }, PRODUCT)).toMatchObject({
      code: 'SKU_TAKEN',
    });
  });
});
