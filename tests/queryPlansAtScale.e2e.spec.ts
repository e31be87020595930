import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSqlShop, type SqlShop } from '../bench/lib/sqlShop.js';
import { clientAs, command, unique, type ApiClient } from './support/api.js';
import { loggedPlans, logPlansOf, PLAN_LOGGING, type LoggedPlan } from './support/loggedPlans.js';
import { primaryTestDatabase, startReplicatedPostgres, type ReplicatedPostgres } from './support/replicatedPostgres.js';
import type { TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// The plan of every statement the server runs (start-up, commands, queries, subscriptions'
// first reads, projections, the payment-deadline timer) on a log of about a million events and
// read tables of the same shop, as PostgreSQL itself logged them (auto_explain, statements inside
// functions included, with the values they really ran with): none reads a whole table of the log
// or of a read model. A plan that does so costs nothing on a test's hundred rows and grows with
// every event a shop writes; the planner chooses by the table's statistics, so the tables are
// really this big (written by SQL: about a minute).
const ORDERS = 94_000;
/** Tables that grow with the log. The others hold a row per projection, per key or per caller. */
const GROWING = [
  'events',
  'snapshots',
  'command_results',
  'order_summaries',
  'order_lines',
  'order_history',
  'order_customer_names',
  'customer_summaries',
  'customer_order_links',
  'inventory',
  'sales_minutes',
  'payment_deadlines',
  'order_search',
  'search_customers',
];
const DATABASE = 'ordersource';

let pair: ReplicatedPostgres;
let primary: TestDatabase | undefined;
let server: TestServer | undefined;
let admin: pg.Client;
let shop: SqlShop;
let plans: LoggedPlan[] = [];

beforeAll(async () => {
  pair = await startReplicatedPostgres({}, 0, PLAN_LOGGING);
  admin = new pg.Client({ connectionString: pair.primary.url });
  await admin.connect();
  shop = await buildSqlShop(pair.primary.url, { orders: ORDERS });
  await logPlansOf(admin, DATABASE);
  primary = primaryTestDatabase(pair);
  server = await startTestServer({}, { database: primary });
  const staff = await clientAs(server, 'staff', 'plans-tester');
  await workload(staff, await clientAs(server, 'customer', shop.customerOf(7)));
  plans = await loggedPlans(admin, DATABASE);
}, 600_000);

afterAll(async () => {
  await admin?.end();
  await server?.stop();
  await primary?.drop();
  await pair?.destroy();
});

/** Everything a client does, and what it sets off: commands, every query, subscriptions' first reads. */
async function workload(staff: ApiClient, customer: ApiClient): Promise<void> {
  const registered = await command(staff, 'registerCustomer', { name: 'Plan Tester', email: `${unique('plans')}@example.com` });
  const customerId = registered.customer.id as string;
  const [paid, cancelled] = [unique('plans-paid'), unique('plans-cancelled')];
  let position = '0';
  for (const orderId of [paid, cancelled]) {
    await command(staff, 'createOrder', { customerId, orderId });
    await command(staff, 'addItem', { orderId, sku: shop.sku, quantity: 3 });
    await command(staff, 'removeItem', { orderId, sku: shop.sku, quantity: 1 });
    position = (await command(staff, 'submitOrder', { orderId })).position;
  }
  await command(staff, 'recordPayment', { orderId: paid, amountCents: 200, paymentRef: unique('pay') });
  await command(staff, 'shipOrder', { orderId: paid, carrier: 'DHL', trackingNumber: 'PLAN1' });
  position = (await command(staff, 'deliverOrder', { orderId: paid })).position;
  await command(staff, 'cancelOrder', { orderId: cancelled, reason: 'plans' });

  const old = shop.orderId(ORDERS - 500);
  const day = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() };
  const page = `totalCount edges { cursor node { id status totalCents customerName } } pageInfo { endCursor hasNextPage }`;
  const read = await staff.run(
    `query ($id: ID!, $old: ID!, $p: String, $c: ID!, $from: DateTime!, $to: DateTime!, $common: String!, $rare: String!, $sku: String!) {
      order(id: $id, consistentWith: $p) { status totalCents items { sku quantity } history { type position } }
      old: order(id: $old) { status customerName items { sku } history { type } }
      orderHistory(orderId: $old) { type }
      orderAt(id: $old, version: 2) { status }
      paid: orders(first: 20, status: PAID) { ${page} }
      submitted: orders(first: 20, status: SUBMITTED) { ${page} }
      newest: orders(first: 20) { ${page} }
      oldest: orders(last: 20) { ${page} }
      theirs: orders(first: 20, customerId: $c) { ${page} }
      customer(id: $c) { name orderCount orders(first: 20) { ${page} } }
      common: searchOrders(query: $common, first: 20) { ${page} }
      rare: searchOrders(query: $rare, first: 20) { ${page} }
      salesStats(from: $from, to: $to, bucket: HOUR) { ordersPaid revenueCents }
      product(sku: $sku) { available }
      products(first: 20) { edges { node { sku } } }
      projections { name }
    }`,
    { id: paid, old, p: position, c: shop.customerOf(ORDERS - 500), ...day, common: shop.commonName, rare: shop.rareName, sku: shop.sku },
  );
  expect(read.order.status).toBe('DELIVERED');
  expect(read.paid.edges).toHaveLength(20);
  expect(read.common.totalCount).toBeGreaterThan(ORDERS / 200);
  expect(read.rare.totalCount).toBeGreaterThan(0);
  // The next page of each list, by its cursor.
  await staff.run(`query ($after: String!) { orders(first: 20, status: PAID, after: $after) { ${page} } }`, {
    after: read.paid.pageInfo.endCursor,
  });
  await staff.run(`query ($after: String!) { orders(first: 20, after: $after) { ${page} } }`, { after: read.newest.pageInfo.endCursor });
  const own = await customer.run(`{ orders(first: 20) { ${page} } me { name } }`);
  expect(own.orders.totalCount).toBeGreaterThan(0);

  const subscriptions = [
    subscribe(server!.wsUrl, staff.token, 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { status } }', { id: old }),
    subscribe(server!.wsUrl, staff.token, 'subscription ($id: ID!) { orderStatusChanged(orderId: $id, after: "0") { status } }', {
      id: paid,
    }),
    subscribe(server!.wsUrl, staff.token, 'subscription ($sku: String!) { inventoryChanged(sku: $sku) { available } }', { sku: shop.sku }),
  ];
  const feed = subscribe(server!.wsUrl, staff.token, 'subscription { orderFeed(status: PAID) { __typename } }');
  for (const s of subscriptions) await s.waitFor(1, 30_000);
  const another = unique('plans-feed');
  await command(staff, 'createOrder', { customerId, orderId: another });
  await command(staff, 'addItem', { orderId: another, sku: shop.sku, quantity: 1 });
  await command(staff, 'submitOrder', { orderId: another });
  const last = await command(staff, 'recordPayment', { orderId: another, amountCents: 100, paymentRef: unique('pay') });
  await feed.waitFor(1, 30_000);
  // Every projection has caught up with the workload (their reads and writes are in the log too).
  await staff.run('query ($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { status } }', { id: another, p: last.position });
  for (const s of [...subscriptions, feed]) await s.close();
}

const fullScans = (plan: LoggedPlan) =>
  plan.nodes.filter((n) => n['Node Type'] === 'Seq Scan' && GROWING.includes(n['Relation Name'] ?? '')).map((n) => n['Relation Name']!);

describe('at a million events', () => {
  it('the shop really is that big, and PostgreSQL logged the plans of what the server ran', async () => {
    const { rows } = await admin.query<{ events: string; orders: string }>(
      'SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM order_summaries) AS orders',
    );
    expect(Number(rows[0]!.events)).toBeGreaterThan(1_000_000);
    expect(Number(rows[0]!.orders)).toBe(ORDERS + 3);
    expect(plans.some((p) => p.query.includes('ordersource_append'))).toBe(true);
    // Statements inside the append and load functions are logged as well.
    expect(plans.some((p) => /INSERT INTO events/i.test(p.query))).toBe(true);
  });

  it('every growing table the server read was read through an index', () => {
    const indexed = new Set(
      plans.flatMap((p) => p.nodes.filter((n) => n['Index Name'] || n['Node Type'] === 'Bitmap Heap Scan').map((n) => n['Relation Name'])),
    );
    for (const table of GROWING.filter((t) => !['command_results', 'search_customers', 'order_customer_names'].includes(t))) {
      expect(indexed, table).toContain(table);
    }
  });

  it('no statement of start-up, commands, queries, subscriptions, projections or timers scans a growing table', () => {
    const scans = plans.flatMap((p) => fullScans(p).map((table) => `${table}: ${p.query.replace(/\s+/g, ' ').slice(0, 300)}`));
    expect([...new Set(scans)]).toEqual([]);
  });
});
