import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import type { Role } from '../src/auth/actor.js';
import { signAccessToken } from '../src/auth/tokens.js';
import type { Database } from '../src/db/database.js';
import { EMAIL_TARGET } from '../src/notifications/notificationsFeature.js';
import { commandMutation, newOrderId, unique } from './support/api.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { startSmtpServer, type SmtpTestServer } from './support/smtpServer.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';

// Customer emails on the real server process and a real SMTP server: each customer receives the
// emails of their orders at their own address, a 451 is retried, and a forgotten customer receives
// nothing more and their address is in no delivery record and no log line.
const JWT = { secret: 'customer-emails-test-jwt-secret-0123456789', isDevelopmentSecret: false };
const FROM = 'Ordersource Shop <orders@shop.example>';

let database: TestDatabase;
let db: Database;
let smtp: SmtpTestServer;
let server: ServerProcess;
beforeAll(async () => {
  database = await createTestDatabase();
  db = database.connect({ poolSize: 2 });
  smtp = await startSmtpServer();
  server = await startServerProcess({
    JWT_SECRET: JWT.secret,
    DATA_KEY_SECRET: 'customer-emails-test-data-key-secret-0123456789',
    DATABASE_URL: database.connectionString,
    LOG_LEVEL: 'trace',
    SMTP_URL: smtp.url,
    MAIL_FROM: FROM,
    // Long enough to pay in, short enough to watch an order expire.
    PAYMENT_TIMEOUT_SECONDS: '10',
    REACTION_RETRY_SCHEDULE: '1s,1s,1s,1s,1s',
  });
}, 90_000);
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await smtp?.close();
  await db?.close();
  await database?.drop();
});

async function run(as: Role, sub: string, name: string, input: Record<string, unknown>): Promise<Record<string, any>> {
  const token = await signAccessToken({ sub, role: as }, JWT);
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: commandMutation(name), variables: { input } }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data![name];
}
const staff = (name: string, input: Record<string, unknown>) => run('staff', 'mail-staff', name, input);

async function customer(name: string): Promise<{ id: string; email: string }> {
  const email = `${unique('mail')}@example.com`;
  const registered = await staff('registerCustomer', { name, email });
  return { id: registered.customer.id, email };
}

/** A submitted order of 2 x Teapot (12.50) and 1 x Kettle (30.00): 55.00. */
async function submittedOrder(customerId: string, skus: { teapot: string; kettle: string }): Promise<string> {
  const orderId = newOrderId();
  await staff('createOrder', { customerId, orderId });
  await staff('addItem', { orderId, sku: skus.teapot, quantity: 2 });
  await staff('addItem', { orderId, sku: skus.kettle, quantity: 1 });
  const submitted = await staff('submitOrder', { orderId });
  expect(submitted.__typename).toBe('SubmitOrderSuccess');
  return orderId;
}

const to = (address: string) => (mail: ParsedMail) => mail.to && !Array.isArray(mail.to) && mail.to.value[0]?.address === address;

async function mailsTo(address: string, count: number): Promise<ParsedMail[]> {
  await expect.poll(() => smtp.received.filter(to(address)).length, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(count);
  return smtp.received.filter(to(address));
}

let skus: { teapot: string; kettle: string };
beforeAll(async () => {
  skus = { teapot: unique('TEAPOT'), kettle: unique('KETTLE') };
  await staff('addProduct', { sku: skus.teapot, name: 'Teapot <Blue>', priceCents: 1_250, initialStock: 100 });
  await staff('addProduct', { sku: skus.kettle, name: 'Kettle', priceCents: 3_000, initialStock: 100 });
});

describe('customer emails', () => {
  it('sends each customer the emails of their orders: received, receipt, shipped, cancelled with the refund, expired', async () => {
    const ada = await customer('Ada Lovelace');
    const bob = await customer('Bob Marley');
    const shipped = await submittedOrder(ada.id, skus);
    await staff('recordPayment', { orderId: shipped, amountCents: 5_500, paymentRef: unique('pay') });
    await staff('shipOrder', { orderId: shipped, carrier: 'DHL', trackingNumber: 'TRACK-123' });
    const refunded = await submittedOrder(ada.id, skus);
    await staff('recordPayment', { orderId: refunded, amountCents: 5_500, paymentRef: unique('pay') });
    await staff('cancelOrder', { orderId: refunded, reason: 'changed my mind' });
    const expired = await submittedOrder(bob.id, skus);

    const adas = await mailsTo(ada.email, 6);
    const bobs = await mailsTo(bob.email, 2);
    expect(adas.map((m) => m.subject).sort()).toEqual(
      [
        `We received your order ${shipped}`,
        `Receipt for your order ${shipped}`,
        `Your order ${shipped} has shipped`,
        `We received your order ${refunded}`,
        `Receipt for your order ${refunded}`,
        `Your order ${refunded} was cancelled`,
      ].sort(),
    );
    expect(bobs.map((m) => m.subject)).toEqual([`We received your order ${expired}`, `Your order ${expired} has expired`]);
    for (const mail of [...adas, ...bobs]) {
      expect(mail.from?.value[0]).toEqual({ address: 'orders@shop.example', name: 'Ordersource Shop' });
      expect(mail.messageId).toMatch(/^<Order-[\w-]+\.\d+@shop\.example>$/);
      expect(mail.text).toBeTruthy();
      expect(mail.html).toBeTruthy();
    }
    // In order per order: received before the receipt before the shipment.
    expect(adas.filter((m) => m.subject?.includes(shipped)).map((m) => m.subject)).toEqual([
      `We received your order ${shipped}`,
      `Receipt for your order ${shipped}`,
      `Your order ${shipped} has shipped`,
    ]);

    const received = adas.find((m) => m.subject === `We received your order ${shipped}`)!;
    // Created (1), two lines (2, 3), submitted (4): the event Order-<id>:4.
    expect(received.messageId).toBe(`<Order-${shipped}.4@shop.example>`);
    expect(received.text).toContain('Hello Ada Lovelace,');
    expect(received.text).toContain('2 x Teapot <Blue>');
    expect(received.text).toContain('Total: 55.00');
    expect(received.text).toMatch(/Please pay by \d{4}-\d\d-\d\dT/);
    expect(received.html).toContain('Teapot &lt;Blue&gt;');
    expect(adas.find((m) => m.subject === `Your order ${shipped} has shipped`)!.text).toContain('Tracking number: TRACK-123');
    expect(adas.find((m) => m.subject === `Your order ${refunded} was cancelled`)!.text).toContain('We refund your payment of 55.00.');
    expect(adas.find((m) => m.subject === `Receipt for your order ${refunded}`)!.text).toContain('payment of 55.00');
  });

  it('retries an email the mail server refused with 451, and sends it once', async () => {
    const cy = await customer('Cy Twombly');
    smtp.failNext(1);
    const orderId = await submittedOrder(cy.id, skus);
    const mails = await mailsTo(cy.email, 1);
    // Sent once (the order expires later and brings a second email, which is not this one).
    expect(mails.filter((m) => m.subject === `We received your order ${orderId}`)).toHaveLength(1);
    const { rows } = await db.pool.query<{ error: string }>(
      `SELECT a.error FROM reaction_attempts a JOIN reaction_deliveries d ON d.id = a.delivery_id
       WHERE d.target_id = $1 AND d.subject = $2 AND d.message_type = 'ordersource.order.submitted.v1' ORDER BY a.at`,
      [EMAIL_TARGET.id, orderId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]!.error).toMatch(/^SMTP DATA 451\b/);
    expect(rows[1]!.error).toBeNull();
  });

  it('sends a forgotten customer nothing more, and their address is in no delivery record and no log line', async () => {
    const dee = await customer('Dee Forgotten');
    const orderId = await submittedOrder(dee.id, skus);
    await staff('recordPayment', { orderId, amountCents: 5_500, paymentRef: unique('pay') });
    await mailsTo(dee.email, 2);
    await run('admin', 'root', 'forgetCustomer', { customerId: dee.id });
    await staff('shipOrder', { orderId, carrier: 'UPS', trackingNumber: 'TRACK-456' });

    // The shipment's message is done (there is no one to send it to), not failed or dead.
    await expect
      .poll(
        async () =>
          (
            await db.pool.query<{ status: string }>(
              `SELECT status FROM reaction_deliveries WHERE target_id = $1 AND subject = $2 AND message_type = 'ordersource.order.shipped.v1'`,
              [EMAIL_TARGET.id, orderId],
            )
          ).rows[0]?.status,
        { timeout: 60_000, interval: 250 },
      )
      .toBe('DELIVERED');
    expect(smtp.received.filter(to(dee.email)).map((m) => m.subject)).toEqual([
      `We received your order ${orderId}`,
      `Receipt for your order ${orderId}`,
    ]);
    for (const table of ['reaction_deliveries', 'reaction_attempts', 'reaction_targets']) {
      const { rows } = await db.pool.query(
        `SELECT t::text FROM ${table} t WHERE t::text ILIKE '%' || $1 || '%' OR t::text ILIKE '%Dee Forgotten%'`,
        [dee.email],
      );
      expect(rows, table).toEqual([]);
    }
    expect(server.output()).not.toContain(dee.email);
    expect(server.output()).not.toContain('Dee Forgotten');
  });
});
