import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/actor.js';
import { signAccessToken } from '../src/auth/tokens.js';
import type { Database } from '../src/db/database.js';
import { commandMutation } from './support/api.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';

// Forgetting, end to end on the real server process: after it, neither the name nor the email is
// anywhere in the database (every column of every table, as text, in any letter case) nor in the
// server's log, also after the projections are rebuilt from the log; for a customer registered by
// this release (personal data sealed under their key) and one the previous release wrote in plain
// text (inserted here with SQL, as that release stored it).
const JWT = { secret: 'customer-erasure-test-jwt-secret-0123456789', isDevelopmentSecret: false };
const ENV = { JWT_SECRET: JWT.secret, DATA_KEY_SECRET: 'customer-erasure-test-data-key-secret-0123456789', LOG_LEVEL: 'trace' };

let database: TestDatabase;
let db: Database;
let server: ServerProcess;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.connect({ poolSize: 4 });
  server = await startServerProcess({ ...ENV, DATABASE_URL: database.connectionString });
}, 90_000);
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await database?.drop();
});

type Caller = Role | 'anonymous';
async function gql(as: Caller, sub: string, query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
  const token = as === 'anonymous' ? undefined : await signAccessToken({ sub, role: as }, JWT);
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}
const run = async (as: Caller, sub: string, name: string, input: Record<string, unknown>) =>
  (await gql(as, sub, commandMutation(name), { input }))[name];

/** Every row of every table of the database, as text, that contains `needle` in any letter case: `table: row`. */
async function rowsContaining(needle: string): Promise<string[]> {
  const { rows: tables } = await db.pool.query<{ table_schema: string; table_name: string }>(
    `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { table_schema, table_name } of tables) {
    const { rows } = await db.pool.query<{ row: string }>(
      `SELECT t::text AS row FROM "${table_schema}"."${table_name}" t WHERE t::text ILIKE '%' || $1 || '%'`,
      [needle],
    );
    found.push(...rows.map((r) => `${table_schema}.${table_name}: ${r.row}`));
  }
  return found;
}

/** What the previous release wrote for a registration: v1 plain text, a claim stream named by the address, the stored answer. */
async function registerAsPreviousRelease(customerId: string, name: string, email: string): Promise<void> {
  const claimStream = `CustomerEmail-${email.toLowerCase()}`;
  const commandId = randomUUID();
  const metadata = JSON.stringify({ actor: 'anonymous', commandId, occurredAt: new Date().toISOString() });
  const { rows } = await db.pool.query<{ position: string }>(
    `INSERT INTO events (stream_id, stream_type, version, type, schema_version, data, metadata) VALUES
       ($1, 'Customer', 1, 'CustomerRegistered', 1, $2, $4), ($3, 'CustomerEmail', 1, 'CustomerEmailClaimed', 1, $5, $4)
     RETURNING position::text`,
    [`Customer-${customerId}`, JSON.stringify({ customerId, name, email }), claimStream, metadata, JSON.stringify({ customerId })],
  );
  const result = {
    events: [],
    streams: [
      { streamId: `Customer-${customerId}`, version: 1 },
      { streamId: claimStream, version: 1 },
    ],
    lastPosition: rows[1]!.position,
    result: { aggregateId: customerId },
  };
  await db.pool.query(
    `INSERT INTO command_results (caller, command_id, input_hash, result) VALUES ('anonymous', $1, 'previous-release-hash', $2)`,
    [commandId, JSON.stringify(result)],
  );
  await db.pool.query(`SELECT pg_notify('ordersource_events', $1)`, [rows[1]!.position]);
}

async function paidOrder(customerId: string, sku: string): Promise<string> {
  const orderId = randomUUID();
  expect((await run('customer', customerId, 'createOrder', { customerId, orderId })).__typename).toBe('CreateOrderSuccess');
  await run('customer', customerId, 'addItem', { orderId, sku, quantity: 1 });
  await run('customer', customerId, 'submitOrder', { orderId });
  expect((await run('staff', 'alice', 'recordPayment', { orderId, amountCents: 900, paymentRef: randomUUID() })).__typename).toBe(
    'RecordPaymentSuccess',
  );
  return orderId;
}

describe('forgetting a customer', () => {
  const tag = randomUUID().slice(0, 8);
  const current = { name: `Zelda Quintessa ${tag}`, email: `Zelda.${tag}@Example.COM` };
  const previous = { id: randomUUID(), name: `Ottoline Vexley ${tag}`, email: `ottoline.${tag}@example.org` };
  const needles = [current.name, current.email, previous.name, previous.email, 'Quintessa', 'Vexley'];
  const sku = `ERASE-${tag}`;
  let currentId: string;
  let position: string;

  beforeAll(async () => {
    await run('staff', 'alice', 'addProduct', { sku, name: 'Lamp', priceCents: 900, initialStock: 10 });
    const registered = await run('anonymous', '', 'registerCustomer', {
      name: current.name,
      email: current.email,
      commandId: randomUUID(),
    });
    currentId = registered.customer.id;
    await registerAsPreviousRelease(previous.id, previous.name, previous.email);
  });

  it("leaves no trace of either customer's name or email in the database or the log, even after a rebuild, while their paid orders still ship", async () => {
    const currentOrder = await paidOrder(currentId, sku);
    const previousOrder = await paidOrder(previous.id, sku);
    expect(await rowsContaining(current.email)).not.toEqual([]);
    expect(await rowsContaining(previous.email)).not.toEqual([]);

    const self = await run('customer', currentId, 'forgetCustomer', { customerId: currentId, commandId: randomUUID() });
    expect(self).toMatchObject({
      __typename: 'ForgetCustomerSuccess',
      customer: { id: currentId, name: null, email: null, forgotten: true },
    });
    const byAdmin = await run('admin', 'root', 'forgetCustomer', { customerId: previous.id });
    expect(byAdmin).toMatchObject({
      __typename: 'ForgetCustomerSuccess',
      customer: { id: previous.id, name: null, email: null, forgotten: true },
    });
    position = byAdmin.position;

    for (const orderId of [currentOrder, previousOrder]) {
      expect((await run('staff', 'alice', 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: `T-${tag}` })).__typename).toBe(
        'ShipOrderSuccess',
      );
    }
    const read = await gql(
      'admin',
      'root',
      `query($id: ID!, $p: String) { customer(id: $id, consistentWith: $p) { name email forgotten orderCount } }`,
      { id: currentId, p: position },
    );
    expect(read.customer).toEqual({ name: null, email: null, forgotten: true, orderCount: 1 });

    for (const needle of needles) expect(await rowsContaining(needle), needle).toEqual([]);
    const log = server.output().toLowerCase();
    for (const needle of needles) expect(log.includes(needle.toLowerCase()), `log contains ${needle}`).toBe(false);

    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/projections-rebuild.ts'], {
      env: { ...process.env, ...ENV, LOG_LEVEL: 'info', DATABASE_URL: database.connectionString },
    }).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`projections:rebuild failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    for (const needle of needles) expect(await rowsContaining(needle), `${needle} after the rebuild`).toEqual([]);
    const rebuilt = await gql('admin', 'root', `query($id: ID!) { customer(id: $id) { name email forgotten } }`, { id: previous.id });
    expect(rebuilt.customer).toEqual({ name: null, email: null, forgotten: true });
  }, 120_000);

  it('refuses a new order for a forgotten customer with INVALID_STATE', async () => {
    const answer = await run('admin', 'root', 'createOrder', { customerId: currentId });
    expect(answer).toMatchObject({ __typename: 'InvalidStateError', code: 'INVALID_STATE' });
  });

  it('answers a second forgetting with success and appends nothing', async () => {
    const again = await run('customer', currentId, 'forgetCustomer', { customerId: currentId });
    expect(again).toMatchObject({ __typename: 'ForgetCustomerSuccess', events: [], customer: { forgotten: true } });
  });

  it('lets both emails register again, as new customers', async () => {
    for (const { name, email } of [current, { name: previous.name, email: previous.email.toUpperCase() }]) {
      const again = await run('anonymous', '', 'registerCustomer', { name, email });
      expect(again).toMatchObject({ __typename: 'RegisterCustomerSuccess', customer: { name, email } });
      expect([currentId, previous.id]).not.toContain(again.customer.id);
      expect((await run('anonymous', '', 'registerCustomer', { name, email })).code).toBe('EMAIL_TAKEN');
    }
  });
});

describe('who may forget a customer', () => {
  let customerId: string;
  beforeAll(async () => {
    customerId = (await run('anonymous', '', 'registerCustomer', { name: 'Iris', email: `iris.${randomUUID()}@example.com` })).customer.id;
  });

  it('refuses staff with FORBIDDEN', async () => {
    expect(await run('staff', 'alice', 'forgetCustomer', { customerId })).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers another customer NOT_FOUND, as for an id that does not exist', async () => {
    expect(await run('customer', randomUUID(), 'forgetCustomer', { customerId })).toMatchObject({ code: 'NOT_FOUND' });
    expect(await run('admin', 'root', 'forgetCustomer', { customerId: randomUUID() })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    expect(await run('anonymous', '', 'forgetCustomer', { customerId })).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
