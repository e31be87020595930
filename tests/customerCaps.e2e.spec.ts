import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { stopTestServers, useTestServer } from './support/testServer.js';

// One free account must not hold the stock: per customer at most MAX_OPEN_ORDERS_PER_CUSTOMER (5)
// unpaid submitted orders and MAX_RESERVED_UNITS_PER_CUSTOMER (1,000) units reserved, however the
// submissions race; per order at most 100 lines and 500 item changes while DRAFT. Staff are not bound.
const server = useTestServer();
afterAll(() => stopTestServers());

const SUBMIT_ERRORS = '... on TooManyOpenOrdersError { max } ... on TooManyReservedUnitsError { max reserved }';
const ADD_ERRORS = '... on TooManyLinesError { max } ... on TooManyChangesError { max }';
const REMOVE_ERRORS = '... on TooManyChangesError { max }';

let staff: ApiClient;
async function product(stock = 100_000): Promise<string> {
  staff ??= await clientAs(server, 'staff', 'caps-staff');
  const sku = unique('cap');
  await command(staff, 'addProduct', { sku, name: 'Capped', priceCents: 100, initialStock: stock });
  return sku;
}

async function customer(): Promise<{ id: string; client: ApiClient }> {
  const result = await command(apiClient(server), 'registerCustomer', { name: 'Buyer', email: `${unique('cap')}@example.com` });
  return { id: result.customer.id, client: apiClient(server, result.token) };
}

/** A draft of `quantity` units of `sku`, made by `as` for the customer. */
async function draft(as: ApiClient, customerId: string, sku: string, quantity = 1): Promise<string> {
  const orderId = newOrderId();
  await command(as, 'createOrder', { customerId, orderId });
  expect((await command(as, 'addItem', { orderId, sku, quantity })).__typename).toBe('AddItemSuccess');
  return orderId;
}

const submit = (as: ApiClient, orderId: string) => command(as, 'submitOrder', { orderId }, SUBMIT_ERRORS);

/** One addItem (or removeItem) of one unit per sku given, on one order, 25 aliases per request. */
async function changeItems(as: ApiClient, orderId: string, skus: string[], mutation: 'addItem' | 'removeItem' = 'addItem') {
  const results: Record<string, any>[] = [];
  for (let from = 0; from < skus.length; from += 25) {
    const batch = skus.slice(from, from + 25);
    const fields = batch.map((sku, i) => {
      const input = `{ orderId: "${orderId}", sku: "${sku}", quantity: 1 }`;
      return `m${i}: ${mutation}(input: ${input}) { __typename ... on Error { code } ${mutation === 'addItem' ? ADD_ERRORS : REMOVE_ERRORS} }`;
    });
    const data = await as.run<Record<string, Record<string, any>>>(`mutation { ${fields.join(' ')} }`);
    results.push(...batch.map((_, i) => data[`m${i}`]!));
  }
  return results;
}

describe('per customer', () => {
  it('refuses a sixth unpaid submitted order with TOO_MANY_OPEN_ORDERS, and takes it once one is paid', async () => {
    const sku = await product();
    const buyer = await customer();
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await draft(buyer.client, buyer.id, sku));
    for (const orderId of orders.slice(0, 5)) expect((await submit(buyer.client, orderId)).__typename).toBe('SubmitOrderSuccess');
    expect(await submit(buyer.client, orders[5]!)).toMatchObject({
      __typename: 'TooManyOpenOrdersError',
      code: 'TOO_MANY_OPEN_ORDERS',
      max: 5,
    });
    const paid = await command(staff, 'recordPayment', { orderId: orders[0], amountCents: 100, paymentRef: unique('pay') });
    expect(paid.__typename).toBe('RecordPaymentSuccess');
    expect((await submit(buyer.client, orders[5]!)).__typename).toBe('SubmitOrderSuccess');
  });

  it('holds the open orders cap when ten submissions race', async () => {
    const sku = await product();
    const buyer = await customer();
    const orders = [];
    for (let i = 0; i < 10; i++) orders.push(await draft(buyer.client, buyer.id, sku));
    const results = await Promise.all(orders.map((orderId) => submit(buyer.client, orderId)));
    const outcomes = results.map((r) => r.__typename).sort();
    expect(outcomes).toEqual([...Array(5).fill('SubmitOrderSuccess'), ...Array(5).fill('TooManyOpenOrdersError')]);
  });

  it('refuses a submission that would hold more than 1,000 units reserved with TOO_MANY_RESERVED_UNITS, and takes it once stock is released', async () => {
    const sku = await product();
    const buyer = await customer();
    const first = await draft(buyer.client, buyer.id, sku, 600);
    const second = await draft(buyer.client, buyer.id, sku, 500);
    expect((await submit(buyer.client, first)).__typename).toBe('SubmitOrderSuccess');
    expect(await submit(buyer.client, second)).toMatchObject({
      __typename: 'TooManyReservedUnitsError',
      code: 'TOO_MANY_RESERVED_UNITS',
      max: 1000,
      reserved: 600,
    });
    expect((await command(buyer.client, 'cancelOrder', { orderId: first, reason: 'changed my mind' })).__typename).toBe(
      'CancelOrderSuccess',
    );
    expect((await submit(buyer.client, second)).__typename).toBe('SubmitOrderSuccess');
  });

  it('does not bind staff submitting for a customer', async () => {
    const sku = await product();
    const buyer = await customer();
    for (let i = 0; i < 7; i++) {
      const orderId = await draft(staff, buyer.id, sku, 400);
      expect((await submit(staff, orderId)).__typename).toBe('SubmitOrderSuccess');
    }
  });
});

describe('per order', () => {
  it('refuses a 101st line with TOO_MANY_LINES; more units on an existing line still go', async () => {
    staff ??= await clientAs(server, 'staff', 'caps-staff');
    const skus = await Promise.all(Array.from({ length: 101 }, () => product(10)));
    const buyer = await customer();
    const orderId = newOrderId();
    await command(buyer.client, 'createOrder', { customerId: buyer.id, orderId });
    const added = await changeItems(buyer.client, orderId, skus);
    expect(added.slice(0, 100).every((r) => r.__typename === 'AddItemSuccess')).toBe(true);
    expect(added[100]).toMatchObject({ __typename: 'TooManyLinesError', code: 'TOO_MANY_LINES', max: 100 });
    expect((await command(buyer.client, 'addItem', { orderId, sku: skus[0], quantity: 1 })).__typename).toBe('AddItemSuccess');
  });

  it('refuses the 501st item change of a draft with TOO_MANY_CHANGES, adds and removes alike', async () => {
    const sku = await product();
    const buyer = await customer();
    const orderId = newOrderId();
    await command(buyer.client, 'createOrder', { customerId: buyer.id, orderId });
    const changes = [];
    for (let pair = 0; pair < 10; pair++) {
      changes.push(...(await changeItems(buyer.client, orderId, Array(25).fill(sku), 'addItem')));
      changes.push(...(await changeItems(buyer.client, orderId, Array(25).fill(sku), 'removeItem')));
    }
    expect(changes).toHaveLength(500);
    expect(changes.every((r) => r.__typename === 'AddItemSuccess' || r.__typename === 'RemoveItemSuccess')).toBe(true);
    expect(await command(buyer.client, 'addItem', { orderId, sku, quantity: 1 }, ADD_ERRORS)).toMatchObject({
      __typename: 'TooManyChangesError',
      code: 'TOO_MANY_CHANGES',
      max: 500,
    });
    expect((await command(buyer.client, 'removeItem', { orderId, sku }, REMOVE_ERRORS)).code).toBe('TOO_MANY_CHANGES');
  });
});
