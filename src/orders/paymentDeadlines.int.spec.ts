import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Authentication } from '../auth/actor.js';
import { runCommand, type CommandDefinition } from '../commands/pipeline.js';
import { loadConfig } from '../config.js';
import { registerCustomer } from '../customers/customerCommands.js';
import { DomainError } from '../domain/errors.js';
import { appendBatch } from '../eventStore/append.js';
import { FEATURES } from '../features.js';
import { createLogger } from '../logger.js';
import { addProduct } from '../products/productCommands.js';
import { productStreamId } from '../products/productDecider.js';
import { createServices, startServices, stopServices, type Services } from '../services.js';
import { sleep } from '../../tests/fixtures/projectionWorld.js';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import { addItem, cancelOrder, createOrder, expireOrder, recordPayment, submitOrder } from './orderCommands.js';
import { orderStreamId } from './orderDecider.js';
import { PAYMENT_DEADLINES_ACTOR } from './paymentDeadline.js';
import { PaymentDeadlineMetrics } from './paymentDeadlineMetrics.js';
import type { PaymentDeadlineTimer } from './paymentDeadlineTimer.js';

// Deadlines of one second, so a test waits for real timers without waiting long.
const TIMEOUT_SECONDS = 1;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const system: Authentication = { actor: PAYMENT_DEADLINES_ACTOR };

let testDb: TestDatabase;
const running: Services[] = [];
let seq = 0;

/** One server's worth of services on the shared test database, as a server process has them. */
async function startNode(env: Record<string, string> = {}, start = true): Promise<Services> {
  const config = loadConfig({ NODE_ENV: 'test', PAYMENT_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS), ...env });
  const services = createServices({ config, logger: createLogger('silent'), db: testDb.connect({ poolSize: 12 }), features: FEATURES });
  if (start) await startServices(services);
  else await services.eventStore.start();
  running.push(services);
  return services;
}

async function stopNode(services: Services): Promise<void> {
  running.splice(running.indexOf(services), 1);
  await stopServices(services);
}

const run = <I, R>(services: Services, definition: CommandDefinition<I, R>, input: Record<string, unknown>, auth = staff) =>
  runCommand(definition, input, { auth, services, requestId: `req-${++seq}` });

/** A product with stock 10 and a customer; returns a submitted order of 3 units of it, and when it was submitted (its event's clock). */
async function submittedOrder(services: Services, tag: string): Promise<{ orderId: string; sku: string; submittedAt: number }> {
  const sku = `${tag}-sku`;
  await run(services, addProduct, { sku, name: 'Kettle', priceCents: 500, initialStock: 10 });
  const customerId = (await run(services, registerCustomer, { name: 'Ann', email: `${tag}@example.com` })).aggregateId;
  const orderId = `${tag}-order`;
  await run(services, createOrder, { customerId, orderId });
  await run(services, addItem, { orderId, sku, quantity: 3 });
  await run(services, submitOrder, { orderId });
  const submitted = (await services.eventStore.readStream(orderStreamId(orderId))).find((e) => e.type === 'OrderSubmitted')!;
  return { orderId, sku, submittedAt: Date.parse(submitted.metadata.occurredAt!) };
}

const eventsOf = async (services: Services, orderId: string) => services.eventStore.readStream(orderStreamId(orderId));
const expiries = async (services: Services, orderId: string) =>
  (await eventsOf(services, orderId)).filter((e) => e.type === 'OrderExpired');
/** The order's OrderExpired event, once it has one. */
const expiryOf = (services: Services, orderId: string) =>
  vi.waitFor(
    async () => {
      const [expired] = await expiries(services, orderId);
      expect(expired, 'the expiry').toBeDefined();
      return expired!;
    },
    { timeout: 10_000 },
  );
const reservedOf = async (services: Services, sku: string) => {
  const events = await services.eventStore.readStream(productStreamId(sku));
  const sum = (type: string) => events.filter((e) => e.type === type).reduce((n, e) => n + (e.data.quantity as number), 0);
  return sum('StockReserved') - sum('StockReleased');
};

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterEach(async () => {
  for (const services of [...running]) await stopNode(services);
});

afterAll(async () => {
  await testDb.drop();
});

describe('payment deadlines', () => {
  it('expires an unpaid order once, after its deadline, as the system, and releases its stock', async () => {
    const node = await startNode();
    const { orderId, sku, submittedAt } = await submittedOrder(node, 'once');
    expect(await reservedOf(node, sku)).toBe(3);
    const expired = await expiryOf(node, orderId);
    // Never before the deadline; how late after it is measured by bench/deadlineLateness.ts.
    expect(Date.parse(expired.metadata.occurredAt!)).toBeGreaterThanOrEqual(submittedAt + TIMEOUT_SECONDS * 1000);
    expect(expired.metadata.actor).toBe('system:payment-deadlines');
    expect(await reservedOf(node, sku)).toBe(0);
    // Nothing fires it again, however long we wait.
    await sleep(1_500);
    expect(await expiries(node, orderId)).toHaveLength(1);
    const { rows } = await node.db.pool.query('SELECT pending FROM payment_deadlines WHERE order_id = $1', [orderId]);
    expect(rows).toEqual([{ pending: false }]);
  });

  it('never expires an order that was paid or cancelled before its deadline', async () => {
    const node = await startNode();
    const paid = await submittedOrder(node, 'paid');
    const cancelled = await submittedOrder(node, 'cancelled');
    await run(node, recordPayment, { orderId: paid.orderId, amountCents: 1500, paymentRef: 'pay-paid' });
    await run(node, cancelOrder, { orderId: cancelled.orderId, reason: 'changed my mind' });
    await sleep(TIMEOUT_SECONDS * 1000 + 2_000);
    expect(await expiries(node, paid.orderId)).toHaveLength(0);
    expect(await expiries(node, cancelled.orderId)).toHaveLength(0);
    const { rows } = await node.db.pool.query(
      'SELECT order_id, pending FROM payment_deadlines WHERE order_id = ANY($1) ORDER BY order_id',
      [[paid.orderId, cancelled.orderId]],
    );
    expect(rows).toEqual([
      { order_id: cancelled.orderId, pending: false },
      { order_id: paid.orderId, pending: false },
    ]);
  });

  it('expires at start an order whose deadline passed while no server ran', async () => {
    // Commands only: no projection, no timer, as if every server were down after the submission.
    const writer = await startNode({}, false);
    const { orderId } = await submittedOrder(writer, 'downtime');
    await sleep(TIMEOUT_SECONDS * 1000 + 500);
    await stopNode(writer);
    const node = await startNode();
    // With no commit after the start to wake it: the timer's first look finds the passed deadline.
    await expect
      .poll(async () => (await expiries(node, orderId)).length, { timeout: 20_000, message: 'the expiry after the restart' })
      .toBe(1);
  });

  it('looks for new deadlines once per burst of commits, not once per commit, and still expires on time', async () => {
    const node = await startNode();
    const timer = node.processes[0] as PaymentDeadlineTimer;
    await expect.poll(() => timer.isActive, { timeout: 10_000, message: 'the timer holding its lock' }).toBe(true);
    await run(node, addProduct, { sku: 'lull-sku', name: 'Lull', priceCents: 100, initialStock: 10 });
    await node.readSide.waitFor(['paymentDeadlines'], await node.eventStore.headPosition(), 5_000);
    await sleep(400);
    const before = timer.looks;
    const commits = 30;
    // Each registration moves the deadlines projection's checkpoint, with no deadline pending.
    for (let i = 0; i < commits; i++) {
      const { position } = await run(node, registerCustomer, { name: `B${i}`, email: `burst-${i}@example.com` });
      await node.readSide.waitFor(['paymentDeadlines'], BigInt(position), 5_000);
    }
    expect(timer.looks - before).toBeLessThan(commits / 3);
    const { orderId, submittedAt } = await submittedOrder(node, 'burst');
    const expired = await expiryOf(node, orderId);
    expect(Date.parse(expired.metadata.occurredAt!)).toBeGreaterThanOrEqual(submittedAt + TIMEOUT_SECONDS * 1000);
  });

  it('expires each order once when two processes run the timer on one database', async () => {
    const [a, b] = [await startNode(), await startNode()];
    const orders = await Promise.all(Array.from({ length: 10 }, (_, i) => submittedOrder(i % 2 ? a : b, `pair-${i}`)));
    for (const o of orders) await expiryOf(a, o.orderId);
    await sleep(1_500);
    for (const o of orders) expect(await expiries(a, o.orderId), o.orderId).toHaveLength(1);
    // Exactly one of them held the timer's lock.
    expect([a, b].filter((s) => (s.processes[0] as PaymentDeadlineTimer).isActive)).toHaveLength(1);
  });

  it('lets exactly one of a payment and an expiry racing for the same order win, and refuses the other with INVALID_STATE', async () => {
    // The timer is off (commands only): the race is run by hand, many times over.
    const node = await startNode({}, false);
    const orders = await Promise.all(Array.from({ length: 12 }, (_, i) => submittedOrder(node, `race-${i}`)));
    await sleep(TIMEOUT_SECONDS * 1000 + 100);
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
      );
    for (const { orderId } of orders) {
      const [paid, expired] = await Promise.all([
        codeOf(run(node, recordPayment, { orderId, amountCents: 1500, paymentRef: `pay-${orderId}` })),
        codeOf(run(node, expireOrder, { orderId }, system)),
      ]);
      expect([paid, expired].sort(), orderId).toEqual(['INVALID_STATE', 'ok']);
      const types = (await eventsOf(node, orderId)).map((e) => e.type).filter((t) => t === 'PaymentRecorded' || t === 'OrderExpired');
      expect(types).toEqual([paid === 'ok' ? 'PaymentRecorded' : 'OrderExpired']);
    }
  });

  it('tries an order whose expiry keeps being refused less and less often, not again every minute', async () => {
    // An order submitted without its stock reserved (written straight to the log): releasing the
    // stock refuses every expiry, so the deadline stays pending.
    const writer = await startNode({}, false);
    const orderId = 'stuck-order';
    const submittedAt = new Date(Date.now() - 10_000).toISOString();
    const [outcome] = await appendBatch(writer.db.pool, [
      {
        streams: [
          {
            streamId: orderStreamId(orderId),
            streamType: 'Order',
            expectedVersion: 0,
            events: [
              { type: 'OrderCreated', data: { orderId, customerId: 'nobody' } },
              { type: 'ItemAdded', data: { sku: 'stuck-sku', name: 'Stuck', quantity: 1, unitPriceCents: 100 } },
              { type: 'OrderSubmitted', data: { totalCents: 100, lines: [{ sku: 'stuck-sku', quantity: 1 }] } },
            ],
          },
        ],
        metadata: { actor: 'staff:test', occurredAt: submittedAt },
      },
    ]);
    if (outcome instanceof Error) throw outcome;
    await stopNode(writer);
    const refusals = vi.spyOn(PaymentDeadlineMetrics.prototype, 'recordFired');
    const settled = () => refusals.mock.calls.filter(([o]) => o === 'settled').length;
    const realNow = Date.now.bind(Date);
    let offset = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    try {
      const node = await startNode();
      const timer = node.processes[0] as PaymentDeadlineTimer;
      await expect.poll(() => settled() === 1, { timeout: 10_000, message: 'the first refusal' }).toBe(true);
      // A minute on: a payment racing the first try would have settled it by now; it is tried again.
      offset += 61_000;
      await expect.poll(() => settled() === 2, { timeout: 10_000, message: 'the second refusal' }).toBe(true);
      // Another minute on, it is still left alone (it was retried every minute).
      offset += 61_000;
      const looks = timer.looks;
      // The look after next begins once a whole look has run since the clock moved.
      await expect.poll(() => timer.looks >= looks + 2, { timeout: 15_000, message: 'a whole later look' }).toBe(true);
      expect(settled()).toBe(2);
      expect(await expiries(node, orderId)).toHaveLength(0);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('refuses expireOrder from anyone but the system with FORBIDDEN', async () => {
    const node = await startNode({}, false);
    const { orderId } = await submittedOrder(node, 'forbidden');
    await expect(run(node, expireOrder, { orderId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
