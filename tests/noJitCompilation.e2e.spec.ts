import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { primaryTestDatabase, startReplicatedPostgres, type ReplicatedPostgres } from './support/replicatedPostgres.js';
import type { TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// Debian's PostgreSQL ships with JIT on, like most production servers. JIT compilation costs tens
// of milliseconds a statement, so none of ours may be compiled. The threshold is lowered from
// 100,000 to 1,000 so that a statement whose estimate only crosses the default on a big database
// (estimates grow with the tables) is caught here on a small one; the trivial probes of the side
// connections (LISTEN, advisory locks, `SELECT 1`) cost far less than that.
const JIT_ON = { jit: 'on', jit_above_cost: '1000', shared_preload_libraries: 'pg_stat_statements' };

let pair: ReplicatedPostgres;
let primary: TestDatabase | undefined;
let server: TestServer;
let stats: pg.Client;
let staff: ApiClient;

beforeAll(async () => {
  pair = await startReplicatedPostgres({}, 0, JIT_ON);
  stats = new pg.Client({ connectionString: pair.primary.url });
  await stats.connect();
  await stats.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  primary = primaryTestDatabase(pair);
  server = await startTestServer({}, { database: primary });
  staff = await clientAs(server, 'staff', 'jit-tester');
  // What the migrations and start-up ran is not the request path.
  await stats.query('SELECT pg_stat_statements_reset()');
});

afterAll(async () => {
  await stats?.end();
  await server?.stop();
  await primary?.drop();
  await pair?.destroy();
});

describe('on a PostgreSQL with JIT enabled', () => {
  it('the server really runs against a server whose planner would JIT-compile costly statements', async () => {
    const { rows } = await stats.query<{ jit: string; cost: string }>(
      "SELECT current_setting('jit') AS jit, current_setting('jit_above_cost') AS cost",
    );
    expect(rows[0]).toEqual({ jit: 'on', cost: '1000' });
  });

  it('no statement of the commands, projections, queries or subscriptions is JIT-compiled', async () => {
    const sku = unique('JIT');
    await command(staff, 'addProduct', { sku, name: 'Jit Notebook', priceCents: 900, initialStock: 50 });
    const customer = await command(staff, 'registerCustomer', { name: 'Jit Tester', email: `${unique('jit')}@example.com` });
    const customerId = customer.customer.id as string;
    const orders = [newOrderId(), newOrderId(), newOrderId()];
    for (const orderId of orders) {
      await command(staff, 'createOrder', { customerId, orderId });
      await command(staff, 'addItem', { orderId, sku, quantity: 2 });
      await command(staff, 'addItem', { orderId, sku, quantity: 1 });
      await command(staff, 'removeItem', { orderId, sku, quantity: 1 });
      await command(staff, 'submitOrder', { orderId });
      await command(staff, 'recordPayment', { orderId, amountCents: 1800, paymentRef: unique('pay') });
    }
    // The last write: reading with its position waits until the projections have applied everything.
    const position = (await command(staff, 'shipOrder', { orderId: orders[0], carrier: 'DHL', trackingNumber: 'JIT123' })).position;

    const read = await staff.run(
      `query ($id: ID!, $p: String, $from: DateTime!, $to: DateTime!) {
        order(id: $id, consistentWith: $p) { status totalCents history { type position } }
        orders(first: 20, status: PAID, consistentWith: $p) { totalCount edges { node { id } } }
        searchOrders(query: "Jit", first: 20, consistentWith: $p) { totalCount edges { node { id } } }
        salesStats(from: $from, to: $to, consistentWith: $p) { ordersPaid }
        product(sku: "${sku}") { available }
      }`,
      {
        id: orders[0],
        p: position,
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 3_600_000).toISOString(),
      },
    );
    expect(read.order.status).toBe('SHIPPED');
    expect(read.searchOrders.totalCount).toBe(3);

    const live = subscribe(server.wsUrl, staff.token, 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { status } }', {
      id: orders[1],
    });
    await live.waitFor(1, 20_000);
    expect(live.received[0]).toEqual({ status: 'PAID' });
    await live.close();

    const { rows } = await stats.query<{ query: string; jit_functions: string; calls: string }>(
      'SELECT query, jit_functions, calls FROM pg_stat_statements WHERE jit_functions > 0 ORDER BY jit_functions DESC',
    );
    const { rows: seen } = await stats.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_statements WHERE query ILIKE '%ordersource_append%'",
    );
    // The statistics really recorded the workload (an empty view would pass the check below).
    expect(Number(seen[0]!.n)).toBeGreaterThan(0);
    expect(rows.map((r) => `${r.jit_functions} functions x ${r.calls}: ${r.query.slice(0, 200)}`)).toEqual([]);
  });
});
