import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { WebhookReceiver } from './support/webhookReceiver.js';

// PROJECTIONS splits the projections over processes sharing one database: each process runs the
// ones it names, and a read waits on whichever process runs the projection it needs.

let database: TestDatabase;
let core: TestServer | undefined;
let search: TestServer | undefined;
let receiver: WebhookReceiver | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await receiver?.stop();
  await search?.stop();
  await core?.stop();
  await database?.drop();
});

const checkpoint = async (name: string): Promise<bigint> => {
  const row = await database.connect({ poolSize: 1 });
  try {
    const found = await row.prisma.projectionCheckpoint.findUnique({ where: { name } });
    return found?.position ?? -1n;
  } finally {
    await row.close();
  }
};

describe('a process started with PROJECTIONS', () => {
  it('runs only the projections it names, and another process naming the rest builds those', async () => {
    core = await startTestServer({ PROJECTIONS: 'orders, customers,inventory' }, { database });
    const staff = await clientAs(core, 'staff', 'alice');
    const surname = unique('Projectionsplit').replace('-', '');
    const registered = await command(staff, 'registerCustomer', { name: `Ada ${surname}`, email: `${unique('ada')}@example.com` });
    const orderId = newOrderId();
    const created = await command(staff, 'createOrder', { customerId: registered.customer.id, orderId });
    expect(created.__typename).toBe('CreateOrderSuccess');
    const position = BigInt(created.position);

    const order = await staff.run<{ order: { id: string; customerName: string } }>(
      'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id customerName } }',
      { id: orderId, p: created.position },
    );
    expect(order.order).toEqual({ id: orderId, customerName: `Ada ${surname}` });
    // The orders projection is at the order; the search index, which no process runs yet, is not.
    await new Promise((r) => setTimeout(r, 500));
    expect(await checkpoint('orders')).toBeGreaterThanOrEqual(position);
    expect(await checkpoint('search')).toBeLessThan(position);
    expect(await checkpoint('sales')).toBeLessThan(position);

    search = await startTestServer({ PROJECTIONS: 'search' }, { database });
    const found = await staff.run<{ searchOrders: { totalCount: number; edges: { node: { id: string } }[] } }>(
      'query($q: String!, $p: String) { searchOrders(query: $q, consistentWith: $p) { totalCount edges { node { id } } } }',
      { q: surname, p: created.position },
    );
    expect(found.searchOrders).toEqual({ totalCount: 1, edges: [{ node: { id: orderId } }] });
    expect(await checkpoint('sales')).toBeLessThan(position);
  }, 60_000);

  it('refuses to start with a name that is no projection of the service', async () => {
    await expect(startTestServer({ PROJECTIONS: 'orders,serach' }, { database })).rejects.toThrow(
      /PROJECTIONS: unknown projection "serach"; the projections are orders, orderCounts, paymentDeadlines, customers, inventory, sales, search/,
    );
  });

  it('delivers webhooks only from a process that runs the reactions projection, not from the command servers that leave it out', async () => {
    const env = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    const commands = await startTestServer(
      { ...env, PROJECTIONS: 'orders,orderCounts,paymentDeadlines,customers,inventory,sales,search' },
      { database },
    );
    const deliverer = await startTestServer({ ...env, PROJECTIONS: 'reactions' }, { database });
    try {
      receiver = await new WebhookReceiver().start();
      const admin = await clientAs(commands, 'admin', 'root');
      const created = await admin.run<{ createWebhookEndpoint: { secret: string } }>(
        'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ... on CreateWebhookEndpointSuccess { secret } } }',
        { input: { url: receiver.url, eventTypes: ['ordersource.order.created.v1'] } },
      );
      receiver.secret = created.createWebhookEndpoint.secret;
      const staff = await clientAs(commands, 'staff', 'alice');
      const registered = await command(staff, 'registerCustomer', { name: 'Ada Split', email: `${unique('ada')}@example.com` });
      const orderIds = [newOrderId(), newOrderId(), newOrderId()];
      for (const orderId of orderIds) await command(staff, 'createOrder', { customerId: registered.customer.id, orderId });

      await expect
        .poll(
          () =>
            receiver!
              .firstAcceptances()
              .map((m) => m.subject)
              .sort(),
          { timeout: 30_000 },
        )
        .toEqual([...orderIds].sort());
      // Every attempt was made by the process that runs the fan-out; the command server made none.
      const attempts = async (server: TestServer) =>
        (await server.services.metrics.registry.getSingleMetric('ordersource_reaction_attempts_total')!.get()).values.reduce(
          (sum, v) => sum + v.value,
          0,
        );
      expect(await attempts(deliverer)).toBe(3);
      expect(await attempts(commands)).toBe(0);
      expect(receiver.unverified).toBe(0);
    } finally {
      await deliverer.stop();
      await commands.stop();
    }
  }, 60_000);
});
