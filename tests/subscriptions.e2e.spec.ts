import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

const STATUS =
  'subscription($id: ID!, $after: String) { orderStatusChanged(orderId: $id, after: $after) { orderId status previousStatus version position order { status totalCents } } }';

/** A customer with a DRAFT order holding one item. */
async function draftOrder() {
  const sku = unique('SKU');
  await command(staff, 'addProduct', { sku, name: 'Clock', priceCents: 1500, initialStock: 10 });
  const registered = await command(staff, 'registerCustomer', { name: 'Live', email: `${unique('l')}@example.com` });
  const customer = await clientAs(server, 'customer', registered.customer.id);
  const orderId = newOrderId();
  const created = await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  const added = await command(customer, 'addItem', { orderId, sku, quantity: 2 });
  await customer.run('query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: orderId, p: added.position });
  return { sku, customer, orderId, created };
}

describe('orderStatusChanged over graphql-ws', () => {
  it('sends the current status first, then each change as the read side commits it', async () => {
    const { customer, orderId } = await draftOrder();
    const sub = subscribe(server.wsUrl, customer.token, STATUS, { id: orderId });
    try {
      const [first] = await sub.waitFor(1);
      expect(first).toMatchObject({
        orderId,
        status: 'DRAFT',
        previousStatus: null,
        version: 2,
        order: { status: 'DRAFT', totalCents: 3000 },
      });
      const submitted = await command(customer, 'submitOrder', { orderId });
      await command(staff, 'recordPayment', { orderId, amountCents: 3000, paymentRef: unique('pay') });
      const changes = await sub.waitFor(3);
      expect(changes.slice(1).map((c) => [c.previousStatus, c.status, c.version])).toEqual([
        ['DRAFT', 'SUBMITTED', 3],
        ['SUBMITTED', 'PAID', 4],
      ]);
      expect(changes[1]!.position).toBe(submitted.events[0].position);
    } finally {
      await sub.close();
    }
  });

  it('replays every change after a position, then goes live, with no gap and no duplicate', async () => {
    const { customer, orderId, created } = await draftOrder();
    await command(customer, 'submitOrder', { orderId });
    const paid = await command(staff, 'recordPayment', { orderId, amountCents: 3000, paymentRef: unique('pay') });
    await staff.run('query($p: String) { orders(first: 1, consistentWith: $p) { totalCount } }', { p: paid.position });
    const sub = subscribe(server.wsUrl, customer.token, STATUS, { id: orderId, after: created.position });
    try {
      await sub.waitFor(2);
      await command(staff, 'shipOrder', { orderId, carrier: 'UPS', trackingNumber: 'T-1' });
      await command(staff, 'deliverOrder', { orderId });
      const all = await sub.waitFor(4);
      expect(all.map((c) => c.status)).toEqual(['SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED']);
      expect(new Set(all.map((c) => c.position)).size).toBe(4);
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.received).toHaveLength(4);
    } finally {
      await sub.close();
    }
  });

  it("gives a customer subscribing to someone else's order nothing but NOT_FOUND", async () => {
    const { orderId } = await draftOrder();
    const stranger = await clientAs(server, 'customer', 'someone-else');
    const sub = subscribe(server.wsUrl, stranger.token, STATUS, { id: orderId });
    try {
      expect(JSON.stringify(await sub.waitForError())).toContain('NOT_FOUND');
      expect(sub.received).toEqual([]);
    } finally {
      await sub.close();
    }
  });
});

describe('orderFeed and inventoryChanged over graphql-ws', () => {
  it('pushes every order change to staff, and refuses customers', async () => {
    const feed = subscribe(server.wsUrl, staff.token, 'subscription { orderFeed { orderId type status version } }');
    const { customer, orderId } = await draftOrder();
    try {
      await feed.waitFor(2);
      expect(feed.received.filter((e) => e.orderId === orderId).map((e) => e.type)).toEqual(['OrderCreated', 'ItemAdded']);
      const refused = subscribe(server.wsUrl, customer.token, 'subscription { orderFeed { orderId } }');
      expect(JSON.stringify(await refused.waitForError())).toContain('FORBIDDEN');
      await refused.close();
    } finally {
      await feed.close();
    }
  });

  it("sends a product's current stock, then its stock as orders reserve it", async () => {
    const { sku, customer, orderId } = await draftOrder();
    const sub = subscribe(
      server.wsUrl,
      undefined,
      'subscription($sku: String) { inventoryChanged(sku: $sku) { sku onHand reserved available } }',
      { sku },
    );
    try {
      expect((await sub.waitFor(1))[0]).toEqual({ sku, onHand: 10, reserved: 0, available: 10 });
      await command(customer, 'submitOrder', { orderId });
      expect((await sub.waitFor(2))[1]).toEqual({ sku, onHand: 10, reserved: 2, available: 8 });
    } finally {
      await sub.close();
    }
  });
});
