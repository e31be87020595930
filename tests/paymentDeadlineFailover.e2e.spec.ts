import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { command, unique } from './support/api.js';
import { processClient, stopProcess } from './support/liveProcess.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';

// Two real server processes on one database; the one firing deadlines is killed with SIGKILL.
const JWT = { secret: 'payment-deadline-failover-secret-0123456789', isDevelopmentSecret: false };
const TIMEOUT_SECONDS = 4;
const FIRING = '"msg":"firing payment deadlines"';

let database: TestDatabase;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  for (let i = 0; i < 2; i++) {
    servers.push(
      await startServerProcess({
        DATABASE_URL: database.connectionString,
        JWT_SECRET: JWT.secret,
        DB_POOL_SIZE: '6',
        SHUTDOWN_TIMEOUT_MS: '1000',
        PAYMENT_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => stopProcess(s)));
  await database?.drop();
});

describe('payment deadlines across processes', () => {
  it('after kill -9 of the process firing deadlines, the standby expires the order, once and on time', async () => {
    const holder = await vi.waitFor(
      () => {
        const firing = servers.find((s) => s.output().includes(FIRING));
        expect(firing, 'a process to fire deadlines').toBeDefined();
        return firing!;
      },
      { timeout: 10_000 },
    );
    const standby = servers.find((s) => s !== holder)!;
    expect(standby.output()).not.toContain(FIRING);

    const staff = processClient(standby.url, await signAccessToken({ sub: 'alice', role: 'staff' }, JWT));
    const sku = unique('SKU');
    await command(staff, 'addProduct', { sku, name: 'Lamp', priceCents: 900, initialStock: 4 });
    const customerId = (await command(staff, 'registerCustomer', { name: 'Kay', email: `${unique('k')}@example.com` })).customer.id;
    const orderId = unique('o');
    await command(staff, 'createOrder', { customerId, orderId });
    await command(staff, 'addItem', { orderId, sku, quantity: 4 });
    const submitted = await command(staff, 'submitOrder', { orderId });
    const { order } = await staff.run<{ order: { paymentDueAt: string } }>(
      'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { paymentDueAt } }',
      {
        id: orderId,
        p: submitted.position,
      },
    );

    holder.child.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');

    const expired = await vi.waitFor(
      async () => {
        const { orderHistory } = await staff.run<{ orderHistory: { type: string; occurredAt: string }[] }>(
          'query($id: ID!) { orderHistory(orderId: $id) { type occurredAt } }',
          { id: orderId },
        );
        const expiry = orderHistory.find((h) => h.type === 'OrderExpired');
        expect(expiry, 'the standby to expire the order').toBeDefined();
        return expiry!;
      },
      { timeout: 20_000 },
    );
    expect(standby.output()).toContain(FIRING);
    // Expired by the standby's timer for that deadline, never before it.
    expect(Date.parse(expired.occurredAt), 'expired at').toBeGreaterThanOrEqual(Date.parse(order.paymentDueAt));
    await new Promise((r) => setTimeout(r, 1_500));
    const { orderHistory } = await staff.run<{ orderHistory: { type: string }[] }>(
      'query($id: ID!) { orderHistory(orderId: $id) { type } }',
      { id: orderId },
    );
    expect(orderHistory.filter((h) => h.type === 'OrderExpired')).toHaveLength(1);
    await expect
      .poll(
        async () => {
          const { product } = await staff.run<{ product: { available: number } }>(
            'query($sku: String!) { product(sku: $sku) { available } }',
            {
              sku,
            },
          );
          return product.available;
        },
        { timeout: 10_000, message: 'the stock to be available again' },
      )
      .toBe(4);
  });
});
