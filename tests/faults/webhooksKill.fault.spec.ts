import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/auth/tokens.js';
import { processClient } from '../support/liveProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { WebhookReceiver } from '../support/webhookReceiver.js';
import { cleanUp, killProcessGroup, printServerLogIfFailed, startFaultServer } from './support/faultServer.js';
import { startOwnedPostgres, type OwnedPostgres } from './support/ownedPostgres.js';
import { FAULT_JWT_SECRET } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let owned: OwnedPostgres | undefined;
let receiver: WebhookReceiver | undefined;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  await cleanUp(server);
  await owned?.destroy();
  await receiver?.stop();
  [server, owned, receiver] = [undefined, undefined, undefined];
});

const NAME = 'Grace Hopper';
const token = (role: 'admin' | 'staff') =>
  signAccessToken({ sub: `fault-${role}`, role }, { secret: FAULT_JWT_SECRET, isDevelopmentSecret: false });

/** Runs one command; a server that is gone (killed) just ends the order early. */
async function send(url: string, bearer: string, name: string, input: Record<string, unknown>): Promise<boolean> {
  const pascal = name[0]!.toUpperCase() + name.slice(1);
  try {
    await processClient(url, bearer).run(`mutation($input: ${pascal}Input!) { ${name}(input: $input) { __typename } }`, { input });
    return true;
  } catch {
    return false;
  }
}

/** One order's life, step by step, stopping at the first command that was not answered. */
async function lifecycle(url: () => string, bearer: string, customerId: string, orderId: string): Promise<void> {
  const steps: [string, Record<string, unknown>][] = [
    ['createOrder', { customerId, orderId }],
    ['addItem', { orderId, sku: 'HOOK-1', quantity: 2 }],
    ['submitOrder', { orderId }],
    ['recordPayment', { orderId, amountCents: 2_000, paymentRef: `pay-${orderId}` }],
    ['shipOrder', { orderId, carrier: 'UPS', trackingNumber: `t-${orderId}` }],
    ['deliverOrder', { orderId }],
  ];
  for (const [name, input] of steps) if (!(await send(url(), bearer, name, input))) return;
}

describe('webhooks across a kill -9', () => {
  it('delivers every event in the log at least once and in log order per order after the server is killed mid-stream', async () => {
    owned = await startOwnedPostgres();
    const env = {
      DATABASE_URL: owned.url,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_TIMEOUT_MS: '2000',
      REACTION_RETRY_SCHEDULE: '200ms,500ms,1s,1s,1s,2s,2s,2s,2s,2s',
    };
    server = await startFaultServer(env);
    const [admin, staff] = [await token('admin'), await token('staff')];
    // A receiver that refuses about a fifth of first attempts, so retries are pending when the server dies.
    receiver = await new WebhookReceiver((_message, attempt) => (attempt === 1 && Math.random() < 0.2 ? 500 : 204)).start();
    const created = await processClient(server.url, admin).run(
      `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ... on CreateWebhookEndpointSuccess { secret } } }`,
      { input: { url: receiver.url } },
    );
    receiver.secret = created.createWebhookEndpoint.secret;
    await send(server.url, staff, 'addProduct', { sku: 'HOOK-1', name: 'Hook', priceCents: 1_000, initialStock: 100_000 });
    const registered = await processClient(server.url, staff).run(
      `mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { ... on RegisterCustomerSuccess { customer { id } } } }`,
      { input: { name: NAME, email: 'grace@example.com' } },
    );
    const customerId = registered.registerCustomer.customer.id as string;

    const url = () => server!.url;
    const orders = Array.from({ length: 24 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    // Four orders at a time; the server is killed once a third of them are under way.
    const load = (async () => {
      for (let i = 0; i < orders.length; i += 4)
        await Promise.all(orders.slice(i, i + 4).map((id) => lifecycle(url, staff, customerId, id)));
    })();
    await expect.poll(() => receiver!.accepted.length, { timeout: 60_000, interval: 20 }).toBeGreaterThan(20);
    await killProcessGroup(server);
    server = await startFaultServer(env);
    await load;

    // What the log holds for each order is what must arrive.
    const db = new pg.Client({ connectionString: owned.url });
    await db.connect();
    const { rows } = await db.query<{ stream_id: string; n: number }>(
      `SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id = ANY($1::text[]) AND type <> 'RefundRecorded' GROUP BY stream_id`,
      [orders.map((id) => `Order-${id}`)],
    );
    await db.end();
    const expected = rows.reduce((sum, r) => sum + r.n, 0);
    const ofOrders = () => receiver!.firstAcceptances().filter((e) => orders.includes(e.subject));
    await expect.poll(() => ofOrders().length, { timeout: 120_000, interval: 250 }).toBe(expected);

    expect(receiver.unverified).toBe(0);
    for (const { stream_id, n } of rows) {
      const sequences = ofOrders()
        .filter((e) => `Order-${e.subject}` === stream_id)
        .map((e) => Number(e.sequence));
      expect(sequences).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
    expect(receiver.accepted.some((m) => m.raw.includes(NAME) || m.raw.includes('grace@example.com'))).toBe(false);
  });
});
