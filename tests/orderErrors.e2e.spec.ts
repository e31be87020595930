import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, commandMutation, SHORTAGES, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// The commands that build an order (addItem, removeItem, submitOrder), and the rule
// that another customer's order answers exactly like a missing one, over real HTTP.

const server = useTestServer();
let staff: ApiClient;
let anonymous: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'staff-order-errors');
  anonymous = apiClient(server);
});

const RESTOCK = '... on RestockProductSuccess { product { sku onHand reserved available } }';

function succeeded(result: Record<string, any>): Record<string, any> {
  expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
  return result;
}

async function register(): Promise<{ id: string; client: ApiClient }> {
  const result = succeeded(
    await command(
      anonymous,
      'registerCustomer',
      { name: 'Order Tester', email: `${newOrderId()}@example.com` },
      '... on RegisterCustomerSuccess { token customer { id } }',
    ),
  );
  return { id: result.customer.id, client: apiClient(server, result.token) };
}

async function addProduct(priceCents = 1000, initialStock = 10): Promise<string> {
  const sku = unique('SKU');
  succeeded(
    await command(
      staff,
      'addProduct',
      { sku, name: `Product ${sku}`, priceCents, initialStock },
      '... on AddProductSuccess { product { sku } }',
    ),
  );
  return sku;
}

/** Stock as the write side sees it, read through a restock of one unit (so onHand grows by one). */
async function stockAfterRestockingOne(sku: string): Promise<{ sku: string; onHand: number; reserved: number; available: number }> {
  const { product } = succeeded(await command(staff, 'restockProduct', { sku, quantity: 1 }, RESTOCK));
  return { sku: product.sku, onHand: product.onHand, reserved: product.reserved, available: product.available };
}

/** A DRAFT order of a fresh customer, with the given lines. */
async function draftOrder(lines: { sku: string; quantity: number }[] = []) {
  const owner = await register();
  const orderId = newOrderId();
  succeeded(await command(owner.client, 'createOrder', { customerId: owner.id, orderId }));
  for (const line of lines) succeeded(await command(owner.client, 'addItem', { orderId, ...line }));
  return { orderId, owner };
}

async function submittedOrder() {
  const sku = await addProduct(700, 10);
  const draft = await draftOrder([{ sku, quantity: 2 }]);
  succeeded(await command(draft.owner.client, 'submitOrder', { orderId: draft.orderId }));
  return { ...draft, sku };
}

describe('addItem rejections', () => {
  it('rejects adding to an order that is not DRAFT with INVALID_STATE', async () => {
    const { orderId, owner, sku } = await submittedOrder();
    const result = await command(owner.client, 'addItem', { orderId, sku, quantity: 1 });
    expect(result).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
    succeeded(await command(owner.client, 'cancelOrder', { orderId, reason: 'done' }));
    expect(await command(staff, 'addItem', { orderId, sku, quantity: 1 })).toMatchObject({
      __typename: 'InvalidStateError',
      code: 'INVALID_STATE',
    });
  });

  it.each([0, -1, 1001])('rejects quantity %i with VALIDATION_FAILED on input.quantity', async (quantity) => {
    const sku = await addProduct();
    const { orderId, owner } = await draftOrder();
    const result = await command(owner.client, 'addItem', { orderId, sku, quantity });
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.quantity' }] });
  });

  it('accepts 1000 units on one line but not a further unit on that line', async () => {
    const sku = await addProduct(1, 0);
    const { orderId, owner } = await draftOrder();
    expect(await command(owner.client, 'addItem', { orderId, sku, quantity: 1000 })).toMatchObject({ order: { itemCount: 1000 } });
    expect(await command(owner.client, 'addItem', { orderId, sku, quantity: 1 })).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION_FAILED',
    });
  });

  it('rejects an unknown sku with NOT_FOUND', async () => {
    const { orderId, owner } = await draftOrder();
    const result = await command(owner.client, 'addItem', { orderId, sku: unique('NOPE'), quantity: 1 });
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('captures the unit price from the catalog when the line is added', async () => {
    const sku = await addProduct(1234, 5);
    const { orderId, owner } = await draftOrder();
    const result = await command(owner.client, 'addItem', { orderId, sku, quantity: 3 });
    expect(result.order.items).toEqual([{ sku, name: `Product ${sku}`, quantity: 3, unitPriceCents: 1234, lineTotalCents: 3702 }]);
    expect(result.order.totalCents).toBe(3702);
  });

  // Prices are 32-bit (`Int` in the schema), but nothing bounds a line or an
  // order total: the item is appended and the answer cannot be serialised. Expected: a typed
  // rejection and nothing appended, since such an order could never be paid (amountCents is an Int).
  it.each([
    ['its line total', [{ priceCents: 2147483647, quantity: 2 }]],
    [
      'the order total',
      [
        { priceCents: 1500000000, quantity: 1 },
        { priceCents: 1500000000, quantity: 1 },
      ],
    ],
  ])(
    'rejects an item that would take %s past the largest GraphQL Int with VALIDATION_FAILED and appends nothing',
    async (_label, lines) => {
      const skus = await Promise.all(lines.map((l) => addProduct(l.priceCents, 10)));
      const { orderId, owner } = await draftOrder(lines.slice(0, -1).map((l, i) => ({ sku: skus[i]!, quantity: l.quantity })));
      const last = { sku: skus.at(-1)!, quantity: lines.at(-1)!.quantity };
      const auth = { authorization: `Bearer ${owner.client.token}` };
      const body = await server.graphql<Record<string, any>>(commandMutation('addItem'), { input: { orderId, ...last } }, auth);
      expect.soft(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      expect.soft(body.data?.addItem).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
      // The order is still at the version before the refused item (read without its totals).
      const cancelled = await server.graphql<Record<string, any>>(
        'mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { __typename ... on CommandSuccess { version } } }',
        { input: { orderId, reason: 'check' } },
        auth,
      );
      expect(cancelled.data?.cancelOrder).toEqual({ __typename: 'CancelOrderSuccess', version: lines.length + 1 });
    },
  );

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const sku = await addProduct();
    const { orderId } = await draftOrder();
    expect(await command(anonymous, 'addItem', { orderId, sku, quantity: 1 })).toMatchObject({
      __typename: 'UnauthenticatedError',
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('removeItem rejections', () => {
  it('rejects removing a line the order does not have with NOT_FOUND', async () => {
    const sku = await addProduct();
    const { orderId, owner } = await draftOrder([{ sku, quantity: 1 }]);
    const result = await command(owner.client, 'removeItem', { orderId, sku: await addProduct() });
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });

  it('rejects removing from an order that is not DRAFT with INVALID_STATE', async () => {
    const { orderId, owner, sku } = await submittedOrder();
    expect(await command(owner.client, 'removeItem', { orderId, sku })).toMatchObject({
      __typename: 'InvalidStateError',
      code: 'INVALID_STATE',
    });
    expect(await command(staff, 'removeItem', { orderId, sku, quantity: 1 })).toMatchObject({
      __typename: 'InvalidStateError',
      code: 'INVALID_STATE',
    });
  });

  it('removes the whole line when no quantity is given, and only some units when one is', async () => {
    const keep = await addProduct(100, 10);
    const drop = await addProduct(200, 10);
    const { orderId, owner } = await draftOrder([
      { sku: keep, quantity: 4 },
      { sku: drop, quantity: 5 },
    ]);
    const partly = await command(owner.client, 'removeItem', { orderId, sku: keep, quantity: 1 });
    expect(partly.order.items.map((i: { sku: string; quantity: number }) => [i.sku, i.quantity])).toEqual([
      [keep, 3],
      [drop, 5],
    ]);
    const whole = await command(owner.client, 'removeItem', { orderId, sku: drop });
    expect(whole).toMatchObject({
      __typename: 'RemoveItemSuccess',
      events: [{ type: 'ItemRemoved' }],
      order: { itemCount: 3, totalCents: 300 },
    });
    expect(whole.order.items.map((i: { sku: string }) => i.sku)).toEqual([keep]);
    expect(await command(owner.client, 'removeItem', { orderId, sku: drop })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([0, 1001])('rejects quantity %i with VALIDATION_FAILED on input.quantity', async (quantity) => {
    const sku = await addProduct();
    const { orderId, owner } = await draftOrder([{ sku, quantity: 2 }]);
    const result = await command(owner.client, 'removeItem', { orderId, sku, quantity });
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.quantity' }] });
  });
});

describe('submitOrder rejections', () => {
  it('rejects an order without items with ORDER_EMPTY', async () => {
    const { orderId, owner } = await draftOrder();
    expect(await command(owner.client, 'submitOrder', { orderId })).toMatchObject({ __typename: 'OrderEmptyError', code: 'ORDER_EMPTY' });
  });

  it('rejects an order whose only line was removed with ORDER_EMPTY', async () => {
    const sku = await addProduct();
    const { orderId, owner } = await draftOrder([{ sku, quantity: 2 }]);
    succeeded(await command(owner.client, 'removeItem', { orderId, sku }));
    expect(await command(owner.client, 'submitOrder', { orderId })).toMatchObject({ __typename: 'OrderEmptyError', code: 'ORDER_EMPTY' });
  });

  it('rejects submitting an order that is not DRAFT with INVALID_STATE', async () => {
    const { orderId, owner } = await submittedOrder();
    expect(await command(owner.client, 'submitOrder', { orderId })).toMatchObject({
      __typename: 'InvalidStateError',
      code: 'INVALID_STATE',
    });
  });

  it('lists every short line in INSUFFICIENT_STOCK and reserves nothing for any line', async () => {
    const shortA = await addProduct(100, 2);
    const plenty = await addProduct(200, 50);
    const shortB = await addProduct(300, 0);
    const { orderId, owner } = await draftOrder([
      { sku: shortA, quantity: 3 },
      { sku: plenty, quantity: 5 },
      { sku: shortB, quantity: 1 },
    ]);

    const result = await command(owner.client, 'submitOrder', { orderId, expectedVersion: 4 }, SHORTAGES);
    expect(result).toMatchObject({ __typename: 'InsufficientStockError', code: 'INSUFFICIENT_STOCK' });
    expect(result.shortages).toEqual([
      { sku: shortA, requested: 3, available: 2 },
      { sku: shortB, requested: 1, available: 0 },
    ]);

    // Nothing was reserved, not even for the line that had enough.
    expect(await stockAfterRestockingOne(shortA)).toEqual({ sku: shortA, onHand: 3, reserved: 0, available: 3 });
    expect(await stockAfterRestockingOne(plenty)).toEqual({ sku: plenty, onHand: 51, reserved: 0, available: 51 });
    expect(await stockAfterRestockingOne(shortB)).toEqual({ sku: shortB, onHand: 1, reserved: 0, available: 1 });

    // The order stayed a DRAFT at the same version, and now that there is stock it submits.
    const submitted = await command(owner.client, 'submitOrder', { orderId, expectedVersion: 4 });
    expect(submitted).toMatchObject({ __typename: 'SubmitOrderSuccess', version: 5, order: { status: 'SUBMITTED' } });
    expect(submitted.events.map((e: { type: string }) => e.type)).toEqual([
      'OrderSubmitted',
      'StockReserved',
      'StockReserved',
      'StockReserved',
      'OrderHoldTaken',
    ]);
    expect(await stockAfterRestockingOne(plenty)).toEqual({ sku: plenty, onHand: 52, reserved: 5, available: 47 });
  });
});

describe("another customer's order", () => {
  it('answers addItem, removeItem, submitOrder and cancelOrder exactly like a missing order (and recordPayment, FORBIDDEN to customers, alike for both)', async () => {
    const sku = await addProduct(500, 10);
    const { orderId, owner } = await draftOrder([{ sku, quantity: 2 }]);
    const stranger = await register();
    const missing = unique('missing');

    const attempts: [string, (id: string) => Record<string, unknown>][] = [
      ['addItem', (id) => ({ orderId: id, sku, quantity: 1 })],
      ['removeItem', (id) => ({ orderId: id, sku })],
      ['submitOrder', (id) => ({ orderId: id })],
      ['cancelOrder', (id) => ({ orderId: id, reason: 'not mine' })],
    ];
    for (const [name, input] of attempts) {
      const theirs = await command(stranger.client, name, input(orderId));
      const absent = await command(stranger.client, name, input(missing));
      expect(theirs, name).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
      expect({ __typename: theirs.__typename, code: theirs.code, message: theirs.message }, name).toEqual({
        __typename: absent.__typename,
        code: absent.code,
        message: absent.message,
      });
    }

    // None of it touched the order: the owner still sees version 2 and can submit it.
    const submitted = await command(owner.client, 'submitOrder', { orderId, expectedVersion: 2 });
    expect(submitted).toMatchObject({ __typename: 'SubmitOrderSuccess', order: { status: 'SUBMITTED', itemCount: 2 } });
    // A customer may not record payments at all, so a payment by the stranger is FORBIDDEN before
    // any order is looked at: it answers alike for their order and a missing one.
    const pay = { amountCents: 1000, paymentRef: unique('pay') };
    const theirs = await command(stranger.client, 'recordPayment', { orderId, ...pay });
    const absent = await command(stranger.client, 'recordPayment', { orderId: missing, ...pay });
    expect(theirs).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(theirs).toEqual(absent);
  });
});
