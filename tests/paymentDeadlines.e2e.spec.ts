import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { type TestServer, useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// Unpaid orders expire one second after submission on these servers.
const ENV = { PAYMENT_TIMEOUT_SECONDS: '1' };
const STATUS =
  'subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId status previousStatus version order { status paymentDueAt } } }';
const FEED = 'subscription { orderFeed { orderId type status } }';
const ORDER = 'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { status updatedAt paymentDueAt } }';
const PRODUCT = 'query($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { onHand reserved available } }';

let database: TestDatabase;
let staff: ApiClient;

beforeAll(async () => {
  database = await createTestDatabase();
});
// After both servers have stopped.
afterAll(() => database?.drop());
// Two servers on one database, as two processes of one deployment.
const server = useTestServer(ENV, () => ({ database }));
const other = useTestServer(ENV, () => ({ database }));
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

/** A customer's submitted order of 2 units of a new product (stock 5), placed through `on`. */
async function submittedOrder(on: TestServer = server) {
  const sku = unique('SKU');
  const staffHere = await clientAs(on, 'staff', 'alice');
  await command(staffHere, 'addProduct', { sku, name: 'Clock', priceCents: 1500, initialStock: 5 });
  const registered = await command(staffHere, 'registerCustomer', { name: 'Late', email: `${unique('l')}@example.com` });
  const customer = await clientAs(on, 'customer', registered.customer.id);
  const orderId = newOrderId();
  await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(customer, 'addItem', { orderId, sku, quantity: 2 });
  const submitted = await command(customer, 'submitOrder', { orderId });
  return { sku, customer, orderId, submitted };
}

describe('payment deadlines', () => {
  it('shows paymentDueAt while SUBMITTED, pushes EXPIRED to subscribers, and returns the stock to available', async () => {
    const { sku, customer, orderId, submitted } = await submittedOrder();
    const { order } = await customer.run(ORDER, { id: orderId, p: submitted.position });
    expect(order.status).toBe('SUBMITTED');
    expect(Date.parse(order.paymentDueAt) - Date.parse(order.updatedAt)).toBe(1_000);
    // Read as of the submission: the inventory projection is not the orders one, and may not have
    // applied the reservation yet when the order read above answered.
    expect((await staff.run(PRODUCT, { sku, p: submitted.position })).product).toEqual({ onHand: 5, reserved: 2, available: 3 });

    const status = subscribe(server.wsUrl, customer.token, STATUS, { id: orderId });
    const feed = subscribe(other.wsUrl, staff.token, FEED);
    try {
      const changes = await status.waitFor(2, 10_000);
      expect(changes[0]).toMatchObject({ status: 'SUBMITTED', order: { status: 'SUBMITTED' } });
      expect(changes[1]).toMatchObject({
        orderId,
        status: 'EXPIRED',
        previousStatus: 'SUBMITTED',
        version: 4,
        order: { status: 'EXPIRED', paymentDueAt: null },
      });
      const expiredInFeed = await feed.waitFor(1, 10_000);
      expect(expiredInFeed.filter((c) => c.orderId === orderId)).toContainEqual({ orderId, type: 'OrderExpired', status: 'EXPIRED' });
    } finally {
      await Promise.all([status.close(), feed.close()]);
    }
    await expect
      .poll(async () => (await staff.run(PRODUCT, { sku })).product, { timeout: 10_000, interval: 100 })
      .toEqual({ onHand: 5, reserved: 0, available: 5 });
  });

  it('refuses a payment and a cancellation on an expired order with INVALID_STATE', async () => {
    const { customer, orderId } = await submittedOrder();
    await expect
      .poll(async () => (await customer.run(ORDER, { id: orderId })).order?.status, { timeout: 10_000, interval: 100 })
      .toBe('EXPIRED');
    const paid = await command(staff, 'recordPayment', { orderId, amountCents: 3000, paymentRef: unique('pay') });
    expect(paid).toMatchObject({ code: 'INVALID_STATE' });
    expect(paid.message).toContain('EXPIRED');
    expect(await command(customer, 'cancelOrder', { orderId, reason: 'too late' })).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('expires each order exactly once with two server processes on one database', async () => {
    const orders = await Promise.all(Array.from({ length: 6 }, (_, i) => submittedOrder(i % 2 ? other : server)));
    for (const { customer, orderId } of orders) {
      await expect
        .poll(async () => (await customer.run(ORDER, { id: orderId })).order?.status, { timeout: 10_000, interval: 100 })
        .toBe('EXPIRED');
    }
    await new Promise((r) => setTimeout(r, 1_500));
    for (const { orderId } of orders) {
      const { orderHistory } = await staff.run('query($id: ID!) { orderHistory(orderId: $id) { type data } }', { id: orderId });
      const expiries = orderHistory.filter((h: { type: string }) => h.type === 'OrderExpired');
      expect(expiries, orderId).toHaveLength(1);
    }
  });

  it('lets staff see the deadlines projection caught up in projections', async () => {
    const admin = await clientAs(server, 'admin', 'root');
    const { projections } = await admin.run('{ projections { name status lag } }');
    expect(projections).toContainEqual({ name: 'paymentDeadlines', status: 'RUNNING', lag: expect.any(Number) });
  });
});
