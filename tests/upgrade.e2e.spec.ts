import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { openScratchServer, type ScratchServer } from '../src/db/scratchServer.js';
import { PROJECTIONS } from '../src/features.js';
import { command, ORDER_FIELDS, PAYMENT_MISMATCH, PRODUCT_FIELDS, type ApiClient } from './support/api.js';
import { checkOutPreviousRelease } from './support/previousRelease.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';

// The previous release writes a database over its GraphQL API, as its users did; the current code
// then starts on that database and must read everything as before and carry every lifecycle on.
const JWT_SECRET = randomBytes(32).toString('hex');
const jwt = loadConfig({ NODE_ENV: 'test', JWT_SECRET }).jwt;

function clientAt(server: ServerProcess, token: string): ApiClient {
  return {
    token,
    async run(query, variables) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: unknown[] };
      if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data as never;
    },
  };
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

const ORDER_READ = `query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { ${ORDER_FIELDS} history { position version type occurredAt data } } }`;
const CUSTOMER_READ = `query($id: ID!) { customer(id: $id) { id name email orderCount totalSpentCents } }`;
const PRODUCT_READ = `query($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { ${PRODUCT_FIELDS} } }`;

let scratch: ScratchServer;
let databaseUrl: string;
const database = `ordersource_upgrade_${randomBytes(4).toString('hex')}`;
const written = { orders: {} as Record<string, string>, customers: [] as string[], skus: ['UP-LAMP', 'UP-MUG'], position: '0' };
let before: { orders: Record<string, unknown>; customers: unknown[]; products: unknown[] };

/** Everything the release wrote, as its API reads it. */
async function readEverything(client: ApiClient) {
  const orders: Record<string, unknown> = {};
  for (const id of Object.values(written.orders))
    orders[id] = (await client.run<{ order: unknown }>(ORDER_READ, { id, p: written.position })).order;
  const customers = [];
  for (const id of written.customers) customers.push((await client.run<{ customer: unknown }>(CUSTOMER_READ, { id })).customer);
  const products = [];
  for (const sku of written.skus)
    products.push((await client.run<{ product: unknown }>(PRODUCT_READ, { sku, p: written.position })).product);
  return { orders, customers, products };
}

beforeAll(async () => {
  scratch = await openScratchServer(inject('testServerUrl'));
  databaseUrl = await scratch.createDatabase(database);
  const release = checkOutPreviousRelease();
  try {
    const old = await startServerProcess({ DATABASE_URL: databaseUrl, JWT_SECRET }, { cwd: release.dir });
    try {
      const staff = clientAt(old, await signAccessToken({ sub: 'alice', role: 'staff' }, jwt));
      await command(staff, 'addProduct', { sku: 'UP-LAMP', name: 'Lamp', priceCents: 1500, initialStock: 40 });
      await command(staff, 'addProduct', { sku: 'UP-MUG', name: 'Mug', priceCents: 450, initialStock: 40 });
      for (const name of ['Ada', 'Grace']) {
        const registered = await command(staff, 'registerCustomer', {
          name: `${name} Upgrade`,
          email: `${name.toLowerCase()}.upgrade@Example.com`,
        });
        written.customers.push(registered.customer.id);
      }
      const steps = ['draft', 'submitted', 'spare', 'paid', 'shipped', 'delivered', 'cancelled'];
      for (const [i, step] of steps.entries()) {
        const orderId = `up-${step}`;
        written.orders[step] = orderId;
        const customerId = written.customers[i % 2]!;
        await command(staff, 'createOrder', { customerId, orderId });
        await command(staff, 'addItem', { orderId, sku: 'UP-LAMP', quantity: 1 + (i % 3) });
        if (step === 'draft') continue;
        await command(staff, 'addItem', { orderId, sku: 'UP-MUG', quantity: 2 });
        const submitted = await command(staff, 'submitOrder', { orderId });
        written.position = submitted.position;
        if (step === 'submitted' || step === 'spare') continue;
        if (step === 'cancelled') {
          written.position = (await command(staff, 'cancelOrder', { orderId, reason: 'changed my mind' })).position;
          continue;
        }
        const total = submitted.order.totalCents as number;
        written.position = (
          await command(staff, 'recordPayment', { orderId, amountCents: total, paymentRef: `pay-${step}` }, PAYMENT_MISMATCH)
        ).position;
        if (step === 'paid') continue;
        written.position = (await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: `T-${step}` })).position;
        if (step === 'shipped') continue;
        written.position = (await command(staff, 'deliverOrder', { orderId })).position;
      }
      before = await readEverything(staff);
    } finally {
      await stop(old);
    }
  } finally {
    release.remove();
  }
}, 120_000);

afterAll(async () => {
  await scratch?.dropDatabase(database);
  await scratch?.close();
});

describe('upgrading a database the previous release wrote', () => {
  let current: ServerProcess;
  let staff: ApiClient;
  beforeAll(async () => {
    current = await startServerProcess({ DATABASE_URL: databaseUrl, JWT_SECRET });
    staff = clientAt(current, await signAccessToken({ sub: 'alice', role: 'admin' }, jwt));
  }, 90_000);
  afterAll(() => stop(current));

  it('wrote orders in every status before the upgrade', () => {
    const statuses = Object.values(before.orders).map((o) => (o as { status: string }).status);
    expect(new Set(statuses)).toEqual(new Set(['DRAFT', 'SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED']));
  });

  it('reads every order, customer and product exactly as the previous release did', async () => {
    expect(await readEverything(staff)).toEqual(before);
  });

  it('rebuilds the orders read model for its new version, builds the new read models from the log, and rebuilds nothing else', async () => {
    const versions = Object.fromEntries(PROJECTIONS.map((p) => [p.name, p.version]));
    type Status = { name: string; version: number; status: string; lag: number };
    let projections: Status[] = [];
    await expect
      .poll(
        async () => {
          ({ projections } = await staff.run<{ projections: Status[] }>('{ projections { name version status lag } }'));
          return projections.every((p) => p.status === 'RUNNING' && p.version === versions[p.name] && p.lag === 0);
        },
        { timeout: 60_000, message: 'every projection RUNNING at its version' },
      )
      .toBe(true);
    expect(Object.fromEntries(projections.map((p) => [p.name, p.version]))).toEqual({
      ...Object.fromEntries(PROJECTIONS.map((p) => [p.name, 1])),
      orders: 2,
    });
    // The rebuilt orders tables read exactly as the old ones did.
    expect(await readEverything(staff)).toEqual(before);
  });

  it("backfills the new read models from the previous release's events: names on orders, search, sales figures", async () => {
    const names = Object.fromEntries((before.customers as { id: string; name: string }[]).map((c) => [c.id, c.name]));
    for (const old of Object.values(before.orders) as { id: string; customerId: string }[]) {
      const { order } = await staff.run<{ order: { customerName: string } }>('query($id: ID!) { order(id: $id) { customerName } }', {
        id: old.id,
      });
      expect(order.customerName, old.id).toBe(names[old.customerId]);
    }

    const search = `query($q: String!, $p: String) { searchOrders(query: $q, consistentWith: $p) { totalCount edges { node { id } } } }`;
    const everyOld = await staff.run<{ searchOrders: { totalCount: number } }>(search, { q: 'upgrade', p: written.position });
    expect(everyOld.searchOrders.totalCount).toBe(Object.keys(before.orders).length);
    const grace = written.customers[1]!;
    const { searchOrders } = await staff.run<{ searchOrders: { edges: { node: { id: string } }[] } }>(search, {
      q: `${names[grace]}`,
      p: written.position,
    });
    const graces = (Object.values(before.orders) as { id: string; customerId: string }[])
      .filter((o) => o.customerId === grace)
      .map((o) => o.id);
    expect(searchOrders.edges.map((e) => e.node.id).sort()).toEqual(graces.sort());

    type Bucket = { ordersCreated: number; ordersSubmitted: number; ordersPaid: number; ordersCancelled: number; revenueCents: number };
    const { salesStats } = await staff.run<{ salesStats: Bucket[] }>(
      'query($from: DateTime!, $to: DateTime!, $p: String) { salesStats(from: $from, to: $to, bucket: DAY, consistentWith: $p) { ordersCreated ordersSubmitted ordersPaid ordersCancelled revenueCents } }',
      { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000), p: written.position },
    );
    const sum = (key: keyof Bucket) => salesStats.reduce((total, b) => total + b[key], 0);
    const paid = ['paid', 'shipped', 'delivered'].map((step) => before.orders[written.orders[step]!] as { totalCents: number });
    expect({
      created: sum('ordersCreated'),
      submitted: sum('ordersSubmitted'),
      paid: sum('ordersPaid'),
      cancelled: sum('ordersCancelled'),
      revenue: sum('revenueCents'),
    }).toEqual({
      created: 7,
      submitted: 6,
      paid: 3,
      cancelled: 1,
      revenue: paid.reduce((total, o) => total + o.totalCents, 0),
    });
  });

  it('carries lifecycles on: a submitted order is paid, shipped and delivered; a draft takes another item', async () => {
    const orderId = written.orders.submitted!;
    const total = (before.orders[orderId] as { totalCents: number }).totalCents;
    expect(await command(staff, 'recordPayment', { orderId, amountCents: total, paymentRef: 'pay-after' }, PAYMENT_MISMATCH)).toMatchObject(
      { order: { status: 'PAID' } },
    );
    expect(await command(staff, 'shipOrder', { orderId, carrier: 'UPS', trackingNumber: 'AFTER-1' })).toMatchObject({
      order: { status: 'SHIPPED' },
    });
    const delivered = await command(staff, 'deliverOrder', { orderId });
    expect(delivered).toMatchObject({ order: { status: 'DELIVERED' } });
    const { order } = await staff.run<{ order: { status: string; history: { type: string }[] } }>(ORDER_READ, {
      id: orderId,
      p: delivered.position,
    });
    expect(order.status).toBe('DELIVERED');
    expect(order.history.map((h) => h.type).slice(-3)).toEqual(['PaymentRecorded', 'OrderShipped', 'OrderDelivered']);

    const draft = await command(staff, 'addItem', { orderId: written.orders.draft, sku: 'UP-MUG', quantity: 1 });
    expect(draft).toMatchObject({
      __typename: 'AddItemSuccess',
      order: { status: 'DRAFT', itemCount: (before.orders[written.orders.draft!] as { itemCount: number }).itemCount + 1 },
    });
  });

  it('loads a customer the previous release registered for a new order, and counts it on the customer', async () => {
    const customerId = written.customers[0]!;
    const created = await command(staff, 'createOrder', { customerId, orderId: 'up-after' });
    expect(created.__typename).toBe('CreateOrderSuccess');
    const wait = `query($p: String) { orders(first: 1, consistentWith: $p) { totalCount } }`;
    await staff.run(wait, { p: created.position });
    const { customer } = await staff.run<{ customer: { orderCount: number } }>(CUSTOMER_READ, { id: customerId });
    expect(customer.orderCount).toBe((before.customers[0] as { orderCount: number }).orderCount + 1);
  });
});
