import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_TARGET } from '../src/eventBus/eventBusFeature.js';
import { EMAIL_TARGET } from '../src/notifications/notificationsFeature.js';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { readBusStream } from './support/busStream.js';
import { startNatsServer, type NatsServer } from './support/natsServer.js';
import { startSmtpServer, type SmtpTestServer } from './support/smtpServer.js';
import { useTestServer } from './support/testServer.js';

// Dead letters of the event bus and the customer emails, through the admin API, against a real
// nats-server and a real SMTP server: listed, redelivered, and never showing an address.
const STREAM = 'ORDERSOURCE_DEAD_LETTERS';
let nats: NatsServer;
let smtp: SmtpTestServer;
beforeAll(async () => {
  [nats, smtp] = await Promise.all([startNatsServer(), startSmtpServer()]);
}, 30_000);
afterAll(async () => {
  await nats?.destroy();
  await smtp?.close();
});

// Three attempts a second apart: a message is dead within seconds.
const server = useTestServer(() => ({
  EVENT_BUS_URL: nats.url,
  EVENT_BUS_STREAM: STREAM,
  SMTP_URL: smtp.url,
  MAIL_FROM: 'Shop <orders@shop.example>',
  REACTION_RETRY_SCHEDULE: '1s,1s',
}));

const DELIVERY = 'id targetId kind eventId eventType subject status nextAttemptAt attempts { statusCode error responseBody }';
const TARGETS = `query { reactionTargets { id kind enabled disabledReason lag pendingCount failedCount deadCount } }`;
const DELIVERIES = `query($targetId: ID, $status: DeliveryStatus) {
  reactionDeliveries(targetId: $targetId, status: $status, first: 100) { totalCount edges { node { ${DELIVERY} } } }
}`;
const RESULT = '__typename ... on Error { code message }';
const REDELIVER_ONE = `mutation($input: RedeliverReactionInput!) { redeliverReaction(input: $input) { ${RESULT} ... on RedeliverReactionSuccess { delivery { ${DELIVERY} } } } }`;
const REDELIVER_DEAD = `mutation($input: RedeliverDeadReactionsInput!) { redeliverDeadReactions(input: $input) { ${RESULT} ... on RedeliverDeadReactionsSuccess { count } } }`;
const ENABLE = `mutation($input: EnableReactionTargetInput!) { enableReactionTarget(input: $input) { ${RESULT} ... on EnableReactionTargetSuccess { target { id enabled disabledReason } } } }`;

let admin: ApiClient;
let staff: ApiClient;
let sku: string;
/** Every answer the admin API gave, to look for an address in. */
const answers: unknown[] = [];
const emails: string[] = [];
const asAdmin = async (query: string, variables?: Record<string, unknown>) => {
  const data = await admin.run(query, variables);
  answers.push(data);
  return data;
};
beforeAll(async () => {
  admin = await clientAs(server, 'admin', 'dead-letters-admin');
  staff = await clientAs(server, 'staff', 'dead-letters-staff');
  sku = unique('DEAD');
  await command(staff, 'addProduct', { sku, name: 'Vase', priceCents: 2_000, initialStock: 100 });
});

async function submittedOrder(): Promise<string> {
  const email = `${unique('dead')}@example.com`;
  emails.push(email);
  const registered = await command(staff, 'registerCustomer', { name: 'Dee Letter', email });
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(staff, 'addItem', { orderId, sku, quantity: 1 });
  expect((await command(staff, 'submitOrder', { orderId })).__typename).toBe('SubmitOrderSuccess');
  return orderId;
}

/** The target's deliveries of one order (its subject) with `status`. */
async function deliveriesOf(targetId: string, orderId: string, status?: string): Promise<any[]> {
  const data = await asAdmin(DELIVERIES, { targetId, status });
  return data.reactionDeliveries.edges.map((e: any) => e.node).filter((d: any) => d.subject === orderId);
}

describe('dead letters of every reaction target', () => {
  it('lists bus messages that went dead while the broker was down, and delivers them once it is back', async () => {
    await nats.stop();
    let orderId: string;
    try {
      orderId = await submittedOrder();
      // Three submitted-order events (created, item added, submitted) of this order reach DEAD.
      await expect
        .poll(async () => (await deliveriesOf(EVENT_BUS_TARGET.id, orderId, 'DEAD')).length, { timeout: 60_000, interval: 500 })
        .toBe(3);
    } finally {
      await nats.restart();
    }
    const dead = await deliveriesOf(EVENT_BUS_TARGET.id, orderId, 'DEAD');
    expect(dead.every((d) => d.kind === 'eventBus' && d.attempts.length === 3 && d.nextAttemptAt === null)).toBe(true);
    const { reactionTargets } = await asAdmin(TARGETS);
    const bus = reactionTargets.find((t: any) => t.id === EVENT_BUS_TARGET.id);
    expect(bus).toMatchObject({ kind: 'eventBus', enabled: true, disabledReason: null });
    expect(bus.deadCount).toBeGreaterThanOrEqual(3);

    // Nothing is sent again by itself: a dead letter waits for an admin.
    expect((await readBusStream(nats.url, STREAM)).filter((m) => m.body.subject === orderId)).toEqual([]);
    const { redeliverDeadReactions } = await asAdmin(REDELIVER_DEAD, { input: { targetId: EVENT_BUS_TARGET.id } });
    expect(redeliverDeadReactions.__typename).toBe('RedeliverDeadReactionsSuccess');
    // This order's three, and any other dead letter of the bus (the customer's registration).
    expect(redeliverDeadReactions.count).toBeGreaterThanOrEqual(3);

    const ids = dead.map((d) => d.eventId).reverse();
    await expect
      .poll(async () => (await readBusStream(nats.url, STREAM)).filter((m) => m.body.subject === orderId).map((m) => m.body.id), {
        timeout: 60_000,
        interval: 500,
      })
      .toEqual(ids);
    await expect.poll(async () => (await deliveriesOf(EVENT_BUS_TARGET.id, orderId, 'DELIVERED')).length, { timeout: 30_000 }).toBe(3);
  });

  it('redelivers one email that went dead after repeated 451s, and it arrives once', async () => {
    smtp.failNext(3);
    const orderId = await submittedOrder();
    await expect
      .poll(async () => (await deliveriesOf(EMAIL_TARGET.id, orderId, 'DEAD')).length, { timeout: 60_000, interval: 500 })
      .toBe(1);
    const [dead] = await deliveriesOf(EMAIL_TARGET.id, orderId, 'DEAD');
    expect(dead.attempts.map((a: any) => a.error)).toEqual([
      expect.stringMatching(/^SMTP DATA 451\b/),
      expect.anything(),
      expect.anything(),
    ]);
    expect(smtp.received.filter((m) => m.subject?.includes(orderId))).toEqual([]);

    const { redeliverReaction } = await asAdmin(REDELIVER_ONE, { input: { deliveryId: dead.id } });
    expect(redeliverReaction.__typename).toBe('RedeliverReactionSuccess');
    expect(redeliverReaction.delivery).toMatchObject({ id: dead.id, status: 'PENDING' });
    await expect
      .poll(() => smtp.received.filter((m) => m.subject === `We received your order ${orderId}`).length, { timeout: 60_000 })
      .toBe(1);
    await expect.poll(async () => (await deliveriesOf(EMAIL_TARGET.id, orderId, 'DELIVERED')).length, { timeout: 30_000 }).toBe(1);
    expect(smtp.received.find((m) => m.subject === `We received your order ${orderId}`)!.text).toContain('Dee Letter');
  });

  it('pages through the deliveries of every target, newest first, with first and after', async () => {
    const PAGE = `query($after: String) { reactionDeliveries(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`;
    const first = (await asAdmin(PAGE)).reactionDeliveries;
    const second = (await asAdmin(PAGE, { after: first.pageInfo.endCursor })).reactionDeliveries;
    const ids = [...first.edges, ...second.edges].map((e: any) => BigInt(e.node.id));
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.totalCount).toBe(first.totalCount);
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : 1)));
    expect(new Set(ids).size).toBe(4);
  });

  it('answers NOT_FOUND for a target or delivery that does not exist', async () => {
    const missing = await asAdmin(REDELIVER_DEAD, { input: { targetId: '00000000-0000-4000-8000-000000000000' } });
    expect(missing.redeliverDeadReactions.code).toBe('NOT_FOUND');
    const notAnId = await asAdmin(REDELIVER_ONE, { input: { deliveryId: 'x' } });
    expect(notAnId.redeliverReaction.code).toBe('NOT_FOUND');
  });

  it('is FORBIDDEN to staff and customers', async () => {
    const customer = await clientAs(server, 'customer', 'dead-letters-customer');
    for (const client of [staff, customer]) {
      for (const [query, name] of [
        [REDELIVER_DEAD, 'redeliverDeadReactions'],
        [ENABLE, 'enableReactionTarget'],
      ] as const) {
        const data = await client.run(query, { input: { targetId: EVENT_BUS_TARGET.id } });
        expect(data[name].code).toBe('FORBIDDEN');
      }
      expect((await client.run(REDELIVER_ONE, { input: { deliveryId: '1' } })).redeliverReaction.code).toBe('FORBIDDEN');
      const body = await server.graphql(TARGETS, {}, { authorization: `Bearer ${client.token}` });
      expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('answers INVALID_STATE to enabling a target whose kind is off in the settings', async () => {
    const { rows } = await server.services.db.pool.query<{ id: string }>(
      `INSERT INTO reaction_targets (id, kind, event_types, from_position, enabled, disabled_reason)
       VALUES (gen_random_uuid(), 'pigeon', '{}', 0, false, 'PIGEON_URL is unset') RETURNING id`,
    );
    const { enableReactionTarget } = await asAdmin(ENABLE, { input: { targetId: rows[0]!.id } });
    expect(enableReactionTarget.code).toBe('INVALID_STATE');
  });

  it('shows no customer address in any answer', () => {
    const all = JSON.stringify(answers);
    expect(answers.length).toBeGreaterThan(5);
    expect(emails.filter((email) => all.includes(email))).toEqual([]);
  });
});

describe('a target disabled after failing for REACTION_DISABLE_AFTER', () => {
  // Attempts a second apart, the target disabled after a second of failures: long before its
  // messages' schedule is spent, so they wait (FAILED) rather than die.
  const failing = useTestServer(() => ({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Shop <orders@shop.example>',
    REACTION_RETRY_SCHEDULE: Array(20).fill('1s').join(','),
    REACTION_DISABLE_AFTER: '1s',
  }));

  it('says so, and once enabled resumes where it stopped', async () => {
    const root = await clientAs(failing, 'admin', 'disable-admin');
    const clerk = await clientAs(failing, 'staff', 'disable-staff');
    const product = unique('OFF');
    await command(clerk, 'addProduct', { sku: product, name: 'Jug', priceCents: 900, initialStock: 10 });
    smtp.failNext(1_000);
    const registered = await command(clerk, 'registerCustomer', { name: 'Eve Waiting', email: `${unique('off')}@example.com` });
    const orderId = newOrderId();
    await command(clerk, 'createOrder', { customerId: registered.customer.id, orderId });
    await command(clerk, 'addItem', { orderId, sku: product, quantity: 1 });
    await command(clerk, 'submitOrder', { orderId });

    const emailTarget = async () => (await root.run(TARGETS)).reactionTargets.find((t: any) => t.id === EMAIL_TARGET.id);
    await expect.poll(async () => (await emailTarget()).enabled, { timeout: 60_000, interval: 500 }).toBe(false);
    const disabled = await emailTarget();
    expect(disabled.disabledReason).toMatch(/^every attempt failed since /);
    expect(disabled).toMatchObject({ deadCount: 0, lag: 1 });

    smtp.failNext(0);
    const { enableReactionTarget } = await root.run(ENABLE, { input: { targetId: EMAIL_TARGET.id } });
    expect(enableReactionTarget).toMatchObject({ target: { id: EMAIL_TARGET.id, enabled: true, disabledReason: null } });
    await expect
      .poll(() => smtp.received.filter((m) => m.subject === `We received your order ${orderId}`).length, { timeout: 60_000 })
      .toBe(1);
    await expect.poll(async () => (await emailTarget()).lag, { timeout: 30_000 }).toBe(0);
  });
});
