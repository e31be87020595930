import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, PAYMENT_MISMATCH, PAYMENT_REF_TAKEN, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// The commands after submission (recordPayment, shipOrder, deliverOrder, cancelOrder),
// and `admin` doing what staff may, over real HTTP.

const server = useTestServer();
let staff: ApiClient;
let admin: ApiClient;
let anonymous: ApiClient;
/** The payment provider's service token: it records payments and may do nothing else. */
let payments: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'staff-fulfilment-errors');
  payments = await clientAs(server, 'payments', 'psp-fulfilment-errors');
  admin = await clientAs(server, 'admin', 'admin-fulfilment-errors');
  anonymous = apiClient(server);
});

const types = (result: Record<string, any>): string[] => result.events.map((e: { type: string }) => e.type);

function succeeded(result: Record<string, any>): Record<string, any> {
  expect(result.__typename, JSON.stringify(result)).toMatch(/Success$/);
  return result;
}

type Status = 'DRAFT' | 'SUBMITTED' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
const PRICE = 650;
const QUANTITY = 2;
const TOTAL = PRICE * QUANTITY;

/** A fresh customer's order of two units of a fresh product, taken to `status` (paid by the payment service, moved on by staff where the owner may not). */
async function orderIn(status: Status) {
  const registered = succeeded(
    await command(
      anonymous,
      'registerCustomer',
      { name: 'Fulfilment Tester', email: `${unique('f')}@example.com` },
      '... on RegisterCustomerSuccess { token customer { id } }',
    ),
  );
  const owner = apiClient(server, registered.token);
  const customerId: string = registered.customer.id;
  const sku = unique('SKU');
  succeeded(
    await command(
      staff,
      'addProduct',
      { sku, name: 'Widget', priceCents: PRICE, initialStock: 10 },
      '... on AddProductSuccess { product { sku } }',
    ),
  );
  const orderId = newOrderId();
  succeeded(await command(owner, 'createOrder', { customerId, orderId }));
  succeeded(await command(owner, 'addItem', { orderId, sku, quantity: QUANTITY }));
  const paymentRef = unique('pay');
  const steps: [Status, () => Promise<Record<string, any>>][] = [
    ['SUBMITTED', () => command(owner, 'submitOrder', { orderId })],
    ['PAID', () => command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef })],
    ['SHIPPED', () => command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: unique('T') })],
    ['DELIVERED', () => command(staff, 'deliverOrder', { orderId })],
  ];
  if (status === 'CANCELLED') succeeded(await command(owner, 'cancelOrder', { orderId, reason: 'setup' }));
  for (const [reached, step] of steps) {
    if (status === 'DRAFT' || status === 'CANCELLED') break;
    succeeded(await step());
    if (reached === status) break;
  }
  return { orderId, owner, customerId, sku, paymentRef };
}

describe('recordPayment rejections', () => {
  it('rejects a payment for an order that is not SUBMITTED with INVALID_STATE', async () => {
    for (const status of ['DRAFT', 'SHIPPED', 'CANCELLED'] as const) {
      const { orderId } = await orderIn(status);
      const result = await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: unique('pay') });
      expect(result, status).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
    }
  });

  it('rejects an amount other than the total with PAYMENT_MISMATCH and the expected amount', async () => {
    const { orderId } = await orderIn('SUBMITTED');
    for (const amountCents of [TOTAL - 1, TOTAL + 1]) {
      const result = await command(payments, 'recordPayment', { orderId, amountCents, paymentRef: unique('pay') }, PAYMENT_MISMATCH);
      expect(result).toMatchObject({ __typename: 'PaymentMismatchError', code: 'PAYMENT_MISMATCH', expectedAmountCents: TOTAL });
    }
    expect(await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: unique('pay') })).toMatchObject({
      order: { status: 'PAID' },
    });
  });

  it.each([0, -100])('rejects amountCents %i with VALIDATION_FAILED on input.amountCents', async (amountCents) => {
    const { orderId } = await orderIn('SUBMITTED');
    const result = await command(payments, 'recordPayment', { orderId, amountCents, paymentRef: unique('pay') });
    expect(result).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION_FAILED',
      fieldErrors: [{ path: 'input.amountCents' }],
    });
  });

  it('answers a repeated paymentRef with success, appending no events and keeping the version', async () => {
    const { orderId } = await orderIn('SUBMITTED');
    const paymentRef = unique('pay');
    const first = await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef });
    expect(first).toMatchObject({
      __typename: 'RecordPaymentSuccess',
      version: 4,
      events: [
        { type: 'PaymentRecorded', version: 4 },
        { type: 'PaymentRefClaimed', version: 1 },
      ],
    });
    const repeat = await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef });
    expect(repeat).toMatchObject({
      __typename: 'RecordPaymentSuccess',
      aggregateId: orderId,
      version: 4,
      events: [],
      order: { status: 'PAID', version: 4 },
    });
    const byStaff = await command(staff, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef });
    expect(byStaff).toMatchObject({ __typename: 'RecordPaymentSuccess', version: 4, events: [] });
    // The order moved on by exactly nothing: staff ship it at version 4 -> 5.
    expect(await command(staff, 'shipOrder', { orderId, carrier: 'UPS', trackingNumber: 'T-1', expectedVersion: 4 })).toMatchObject({
      version: 5,
    });
  });

  it('rejects a second payment with another paymentRef on a PAID order with INVALID_STATE', async () => {
    const { orderId } = await orderIn('PAID');
    const result = await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: unique('other') });
    expect(result).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
  });

  it('refuses a customer recording the payment of their own order with FORBIDDEN, writing nothing', async () => {
    const { orderId, owner } = await orderIn('SUBMITTED');
    const result = await command(owner, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: 'i-promise-i-paid' });
    expect(result).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await command(owner, 'cancelOrder', { orderId, reason: 'still SUBMITTED' })).toMatchObject({ order: { status: 'CANCELLED' } });
  });

  it('rejects the same paymentRef on the same order with another amount with PAYMENT_MISMATCH', async () => {
    const { orderId, paymentRef } = await orderIn('PAID');
    const result = await command(payments, 'recordPayment', { orderId, amountCents: TOTAL + 100, paymentRef }, PAYMENT_MISMATCH);
    expect(result).toMatchObject({ __typename: 'PaymentMismatchError', code: 'PAYMENT_MISMATCH', expectedAmountCents: TOTAL });
  });

  it('rejects a paymentRef that already paid another order with PAYMENT_REF_TAKEN, leaving that order SUBMITTED', async () => {
    const paid = await orderIn('PAID');
    const { orderId, owner } = await orderIn('SUBMITTED');
    const result = await command(
      payments,
      'recordPayment',
      { orderId, amountCents: TOTAL, paymentRef: paid.paymentRef },
      PAYMENT_REF_TAKEN,
    );
    expect(result).toMatchObject({ __typename: 'PaymentRefTakenError', code: 'PAYMENT_REF_TAKEN', paymentRef: paid.paymentRef });
    expect(await command(owner, 'cancelOrder', { orderId, reason: 'not paid' })).toMatchObject({ order: { status: 'CANCELLED' } });
  });

  it('lets exactly one of several orders racing with one paymentRef be paid by it', async () => {
    const orders = await Promise.all(Array.from({ length: 4 }, () => orderIn('SUBMITTED')));
    const paymentRef = unique('race');
    const results = await Promise.all(
      orders.map(({ orderId }) => command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef })),
    );
    expect(results.map((r) => r.__typename).sort()).toEqual([
      'PaymentRefTakenError',
      'PaymentRefTakenError',
      'PaymentRefTakenError',
      'RecordPaymentSuccess',
    ]);
  });
});

describe('the payments role', () => {
  it('may record a payment and nothing else: every other command and every query needing identity is FORBIDDEN', async () => {
    const { orderId, customerId, sku } = await orderIn('SUBMITTED');
    const forbidden = { __typename: 'ForbiddenError', code: 'FORBIDDEN' };
    expect(await command(payments, 'registerCustomer', { name: 'Service', email: `${unique('svc')}@example.com` })).toMatchObject(
      forbidden,
    );
    expect(await command(payments, 'createOrder', { customerId })).toMatchObject(forbidden);
    expect(await command(payments, 'addItem', { orderId, sku, quantity: 1 })).toMatchObject(forbidden);
    expect(await command(payments, 'cancelOrder', { orderId, reason: 'no' })).toMatchObject(forbidden);
    expect(await command(payments, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: 'T' })).toMatchObject(forbidden);
    expect(await command(payments, 'addProduct', { sku: unique('SKU'), name: 'x', priceCents: 1, initialStock: 1 })).toMatchObject(
      forbidden,
    );
    for (const query of [
      `{ order(id: "${orderId}") { id } }`,
      '{ orders { totalCount } }',
      `{ customer(id: "${customerId}") { id } }`,
      '{ me { id } }',
    ]) {
      const body = await server.graphql(query, undefined, { authorization: `Bearer ${payments.token}` });
      expect(body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    expect(await command(payments, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: unique('pay') })).toMatchObject({
      order: { status: 'PAID' },
    });
  });
});

describe('shipOrder rejections', () => {
  it('refuses the owning customer with FORBIDDEN and an anonymous caller with UNAUTHENTICATED', async () => {
    const { orderId, owner } = await orderIn('PAID');
    const input = { orderId, carrier: 'DHL', trackingNumber: 'T-2' };
    expect(await command(owner, 'shipOrder', input)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await command(anonymous, 'shipOrder', input)).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED' });
    expect(await command(staff, 'shipOrder', input)).toMatchObject({ __typename: 'ShipOrderSuccess', order: { status: 'SHIPPED' } });
  });

  it('rejects shipping an order that is not PAID with INVALID_STATE', async () => {
    for (const status of ['DRAFT', 'SUBMITTED', 'SHIPPED', 'CANCELLED'] as const) {
      const { orderId } = await orderIn(status);
      const result = await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: 'T-3' });
      expect(result, status).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
    }
  });

  it('rejects an unknown order with NOT_FOUND', async () => {
    const result = await command(staff, 'shipOrder', { orderId: unique('missing'), carrier: 'DHL', trackingNumber: 'T-4' });
    expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
  });
});

describe('deliverOrder rejections', () => {
  it('rejects delivering an order that is not SHIPPED with INVALID_STATE', async () => {
    for (const status of ['SUBMITTED', 'PAID', 'DELIVERED'] as const) {
      const { orderId } = await orderIn(status);
      expect(await command(staff, 'deliverOrder', { orderId }), status).toMatchObject({
        __typename: 'InvalidStateError',
        code: 'INVALID_STATE',
      });
    }
  });

  it('refuses the owning customer with FORBIDDEN', async () => {
    const { orderId, owner } = await orderIn('SHIPPED');
    expect(await command(owner, 'deliverOrder', { orderId })).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await command(staff, 'deliverOrder', { orderId })).toMatchObject({
      __typename: 'DeliverOrderSuccess',
      order: { status: 'DELIVERED' },
    });
  });
});

describe('cancelOrder rules', () => {
  it('lets the owner cancel a DRAFT order', async () => {
    const { orderId, owner } = await orderIn('DRAFT');
    const result = await command(owner, 'cancelOrder', { orderId, reason: 'changed my mind' });
    expect(result).toMatchObject({ __typename: 'CancelOrderSuccess', order: { status: 'CANCELLED' } });
    expect(types(result)).toEqual(['OrderCancelled']);
  });

  it('lets the owner cancel a SUBMITTED order, releasing its reservation', async () => {
    const { orderId, owner } = await orderIn('SUBMITTED');
    const result = await command(owner, 'cancelOrder', { orderId, reason: 'found it cheaper' });
    expect(result).toMatchObject({ __typename: 'CancelOrderSuccess', order: { status: 'CANCELLED' } });
    expect(types(result)).toEqual(['OrderCancelled', 'StockReleased']);
  });

  it('refuses the owner on a PAID order with FORBIDDEN but lets staff cancel it with a refund', async () => {
    const { orderId, owner } = await orderIn('PAID');
    expect(await command(owner, 'cancelOrder', { orderId, reason: 'too late' })).toMatchObject({
      __typename: 'ForbiddenError',
      code: 'FORBIDDEN',
    });
    const result = await command(staff, 'cancelOrder', { orderId, reason: 'customer called' });
    expect(result).toMatchObject({ __typename: 'CancelOrderSuccess', order: { status: 'CANCELLED' } });
    expect(types(result)).toEqual(['OrderCancelled', 'RefundRecorded', 'StockReleased']);
  });

  it('rejects cancelling a SHIPPED, DELIVERED or CANCELLED order with INVALID_STATE, for staff and owner alike', async () => {
    for (const status of ['SHIPPED', 'DELIVERED', 'CANCELLED'] as const) {
      const { orderId, owner } = await orderIn(status);
      expect(await command(staff, 'cancelOrder', { orderId, reason: 'no' }), status).toMatchObject({
        __typename: 'InvalidStateError',
        code: 'INVALID_STATE',
      });
      expect(await command(owner, 'cancelOrder', { orderId, reason: 'no' }), status).toMatchObject({
        __typename: 'InvalidStateError',
        code: 'INVALID_STATE',
      });
    }
  });

  it('rejects an empty reason with VALIDATION_FAILED on input.reason', async () => {
    const { orderId, owner } = await orderIn('DRAFT');
    const result = await command(owner, 'cancelOrder', { orderId, reason: ' ' });
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.reason' }] });
  });
});

describe('admin', () => {
  it('may act on any order like staff: build, submit, pay, ship, deliver', async () => {
    const { orderId, sku } = await orderIn('DRAFT');
    succeeded(await command(admin, 'addItem', { orderId, sku, quantity: 1 }));
    succeeded(await command(admin, 'removeItem', { orderId, sku, quantity: 1 }));
    succeeded(await command(admin, 'submitOrder', { orderId }));
    succeeded(await command(admin, 'recordPayment', { orderId, amountCents: TOTAL, paymentRef: unique('pay') }));
    expect(await command(admin, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: 'T-5' })).toMatchObject({
      order: { status: 'SHIPPED' },
    });
    expect(await command(admin, 'deliverOrder', { orderId })).toMatchObject({ order: { status: 'DELIVERED' } });
  });

  it('may cancel a PAID order like staff', async () => {
    const { orderId } = await orderIn('PAID');
    const result = await command(admin, 'cancelOrder', { orderId, reason: 'fraud check' });
    expect(result).toMatchObject({ __typename: 'CancelOrderSuccess', order: { status: 'CANCELLED' } });
    expect(types(result)).toEqual(['OrderCancelled', 'RefundRecorded', 'StockReleased']);
  });
});
