import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// Sales figures over real HTTP: counted by their own projection, every bucket returned, staff only.
const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'sales-staff');
});

const STATS = `query($from: DateTime!, $to: DateTime!, $bucket: StatsBucket, $p: String) {
  salesStats(from: $from, to: $to, bucket: $bucket, consistentWith: $p) {
    start ordersCreated ordersSubmitted ordersPaid ordersCancelled ordersExpired revenueCents refundsCents
  }
}`;

/** A paid order of `quantity` units at 250 cents; returns the position of its payment. */
async function paidOrder(quantity: number): Promise<string> {
  const sku = unique('SALE');
  await command(staff, 'addProduct', { sku, name: 'Sold', priceCents: 250, initialStock: 10 });
  const customer = await command(staff, 'registerCustomer', { name: 'Buyer', email: `${unique('buyer')}@example.com` });
  const orderId = unique('sale-order');
  await command(staff, 'createOrder', { customerId: customer.aggregateId, orderId });
  await command(staff, 'addItem', { orderId, sku, quantity });
  await command(staff, 'submitOrder', { orderId });
  return (await command(staff, 'recordPayment', { orderId, amountCents: quantity * 250, paymentRef: unique('pay') })).position;
}

describe('salesStats', () => {
  it('counts orders and revenue in the bucket they happened in, read-your-writes with consistentWith', async () => {
    const from = new Date(Date.now() - 60 * 60_000);
    const to = new Date(Date.now() + 60_000);
    const before = (await staff.run(STATS, { from, to, bucket: 'HOUR' })).salesStats;
    const totals = (buckets: { ordersPaid: number; revenueCents: number; ordersCreated: number }[]) =>
      buckets.reduce(
        (t, b) => ({ paid: t.paid + b.ordersPaid, revenue: t.revenue + b.revenueCents, created: t.created + b.ordersCreated }),
        { paid: 0, revenue: 0, created: 0 },
      );
    const position = await paidOrder(3);
    const after = (await staff.run(STATS, { from, to, bucket: 'HOUR', p: position })).salesStats;
    expect(totals(after)).toEqual({
      paid: totals(before).paid + 1,
      revenue: totals(before).revenue + 750,
      created: totals(before).created + 1,
    });
  });

  it('returns every bucket of the range, empty ones as zeros', async () => {
    const from = new Date('2020-01-01T00:00:00Z');
    const { salesStats } = await staff.run(STATS, { from, to: new Date('2020-01-01T00:10:00Z'), bucket: 'MINUTE' });
    expect(salesStats).toHaveLength(10);
    expect(salesStats[0]).toEqual({
      start: '2020-01-01T00:00:00.000Z',
      ordersCreated: 0,
      ordersSubmitted: 0,
      ordersPaid: 0,
      ordersCancelled: 0,
      ordersExpired: 0,
      revenueCents: 0,
      refundsCents: 0,
    });
    expect(salesStats[9].start).toBe('2020-01-01T00:09:00.000Z');
  });

  it('uses hour buckets when none is asked for', async () => {
    const { salesStats } = await staff.run('{ salesStats(from: "2020-01-01T00:00:00Z", to: "2020-01-01T03:00:00Z") { start } }');
    expect(salesStats.map((b: { start: string }) => b.start)).toEqual([
      '2020-01-01T00:00:00.000Z',
      '2020-01-01T01:00:00.000Z',
      '2020-01-01T02:00:00.000Z',
    ]);
  });

  it('refuses more than 1,000 buckets with VALIDATION_FAILED', async () => {
    const answer = await server.graphql(
      STATS,
      { from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z', bucket: 'MINUTE' },
      { authorization: `Bearer ${staff.token}` },
    );
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('is for staff: a customer is FORBIDDEN and an anonymous caller UNAUTHENTICATED', async () => {
    const variables = { from: '2020-01-01T00:00:00Z', to: '2020-01-01T01:00:00Z' };
    const customer = await clientAs(server, 'customer', 'sales-customer');
    const asCustomer = await server.graphql(STATS, variables, { authorization: `Bearer ${customer.token}` });
    expect(asCustomer.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = await server.graphql(STATS, variables);
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
