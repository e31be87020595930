import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import type { TestServer } from './support/testServer.js';
import { useTestServer } from './support/testServer.js';
import { WebhookReceiver } from './support/webhookReceiver.js';

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  __typename ... on CreateWebhookEndpointSuccess { secret endpoint { id url eventTypes enabled lag } }
  ... on Error { code message } ... on ValidationError { fieldErrors { path message } } } }`;
const DELIVERIES = `query($id: ID, $status: DeliveryStatus, $first: Int) { webhookDeliveries(endpointId: $id, status: $status, first: $first) {
  totalCount edges { node { id eventId eventType subject status nextAttemptAt attempts { statusCode latencyMs error responseBody } } } } }`;
const REDELIVER_DEAD = `mutation($input: RedeliverDeadWebhooksInput!) { redeliverDeadWebhooks(input: $input) {
  __typename ... on RedeliverDeadWebhooksSuccess { count } ... on Error { code } } }`;
const NAME = 'Ada Lovelace';

const receivers: WebhookReceiver[] = [];
afterAll(() => Promise.all(receivers.map((r) => r.stop())));

async function receiver(answer?: ConstructorParameters<typeof WebhookReceiver>[0]): Promise<WebhookReceiver> {
  const started = await new WebhookReceiver(answer).start();
  receivers.push(started);
  return started;
}

/** Creates an endpoint for `target` (its secret goes to the receiver, which verifies with it). */
async function endpointFor(admin: ApiClient, target: WebhookReceiver, eventTypes?: string[]): Promise<string> {
  const { createWebhookEndpoint: created } = await admin.run(CREATE, { input: { url: target.url, eventTypes, description: 'test' } });
  expect(created.__typename).toBe('CreateWebhookEndpointSuccess');
  expect(created.secret).toMatch(/^whsec_/);
  target.secret = created.secret;
  return created.endpoint.id;
}

/** One order through its whole life; returns its id and how many of its events are published. */
async function orderLifecycle(staff: ApiClient, customerId: string, sku: string): Promise<{ orderId: string; published: number }> {
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId, orderId });
  await command(staff, 'addItem', { orderId, sku, quantity: 2 });
  await command(staff, 'addItem', { orderId, sku, quantity: 1 });
  await command(staff, 'removeItem', { orderId, sku, quantity: 1 });
  await command(staff, 'submitOrder', { orderId });
  await command(staff, 'recordPayment', { orderId, amountCents: 2 * 1500, paymentRef: unique('pay') });
  await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: unique('track') });
  await command(staff, 'deliverOrder', { orderId });
  return { orderId, published: 8 };
}

async function setUp(server: TestServer) {
  const admin = await clientAs(server, 'admin', 'root');
  const staff = await clientAs(server, 'staff', 'alice');
  const sku = unique('SKU');
  await command(staff, 'addProduct', { sku, name: 'Clock', priceCents: 1500, initialStock: 1000 });
  const email = `${unique('ada')}@example.com`;
  const registered = await command(staff, 'registerCustomer', { name: NAME, email });
  return { admin, staff, sku, email, customerId: registered.customer.id as string };
}

describe('webhooks to a receiver that fails and goes away', () => {
  const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_RETRY_SCHEDULE: '100ms,200ms,500ms,1s,1s,1s,2s,2s,2s,2s' });

  it('delivers every event of every order at least once, signed, in log order per order, without personal data', async () => {
    const { admin, staff, sku, email, customerId } = await setUp(server);
    // Every third message fails its first attempt with a 500.
    let count = 0;
    const target = await receiver((_message, attempt) => (attempt === 1 && ++count % 3 === 0 ? 500 : 204));
    await endpointFor(admin, target);

    const orders = [];
    for (let i = 0; i < 3; i++) orders.push(await orderLifecycle(staff, customerId, sku));
    // The receiver goes away for a few seconds while more orders are placed.
    await target.goAway();
    for (let i = 0; i < 3; i++) orders.push(await orderLifecycle(staff, customerId, sku));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await target.comeBack();

    const orderIds = new Set(orders.map((o) => o.orderId));
    const ofOrders = () => target.firstAcceptances().filter((e) => orderIds.has(e.subject));
    await expect.poll(() => ofOrders().length, { timeout: 60_000, interval: 200 }).toBe(orders.length * 8);

    expect(target.unverified).toBe(0);
    for (const { orderId } of orders) {
      const events = ofOrders().filter((e) => e.subject === orderId);
      expect(events.map((e) => e.type)).toEqual([
        'ordersource.order.created.v1',
        'ordersource.order.item_added.v1',
        'ordersource.order.item_added.v1',
        'ordersource.order.item_removed.v1',
        'ordersource.order.submitted.v1',
        'ordersource.order.paid.v1',
        'ordersource.order.shipped.v1',
        'ordersource.order.delivered.v1',
      ]);
      expect(events.map((e) => Number(e.sequence))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    const everything = target.accepted.map((m) => m.raw).join('\n');
    expect(everything).not.toContain(NAME);
    expect(everything).not.toContain(email);
    // The first attempts that failed are in the delivery log, with the answer.
    const { webhookDeliveries } = await admin.run(DELIVERIES, { first: 100 });
    const failedFirst = webhookDeliveries.edges.filter((e: any) => e.node.attempts[0]?.statusCode === 500);
    expect(failedFirst.length).toBeGreaterThan(0);
    expect(failedFirst[0].node.attempts[0].responseBody).toBe('not now');
  });

  it('sends an endpoint created later only the events recorded after it was created', async () => {
    const { admin, staff, sku, customerId } = await setUp(server);
    const before = await orderLifecycle(staff, customerId, sku);
    const target = await receiver();
    await endpointFor(admin, target, ['ordersource.order.paid.v1']);
    const after = await orderLifecycle(staff, customerId, sku);
    await expect.poll(() => target.firstAcceptances().some((e) => e.subject === after.orderId), { timeout: 30_000 }).toBe(true);
    const received = target.firstAcceptances();
    expect(received.map((e) => e.subject)).not.toContain(before.orderId);
    expect(received.every((e) => e.type === 'ordersource.order.paid.v1')).toBe(true);
  });
});

describe('webhooks to endpoints that fail for good or never answer', () => {
  const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_RETRY_SCHEDULE: '100ms,100ms', WEBHOOK_TIMEOUT_MS: '60000' });
  let parts: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    parts = await setUp(server);
  });

  it("ends an always-failing endpoint's messages DEAD, and redeliverDeadWebhooks brings each through once it recovers", async () => {
    const { admin, staff, sku, customerId } = parts;
    const target = await receiver(() => 503);
    const endpointId = await endpointFor(admin, target, ['ordersource.order.created.v1', 'ordersource.order.item_added.v1']);
    const orders = [await orderLifecycle(staff, customerId, sku), await orderLifecycle(staff, customerId, sku)];
    const dead = async () => (await admin.run(DELIVERIES, { id: endpointId, status: 'DEAD', first: 100 })).webhookDeliveries;
    await expect.poll(async () => (await dead()).totalCount, { timeout: 30_000 }).toBe(orders.length * 3);
    // The first attempt, then one retry after each delay of the schedule.
    for (const { node } of (await dead()).edges) expect(node.attempts.map((a: any) => a.statusCode)).toEqual([503, 503, 503]);
    expect(target.accepted).toEqual([]);

    target.answerWith(() => 200);
    const { redeliverDeadWebhooks } = await admin.run(REDELIVER_DEAD, { input: { endpointId } });
    expect(redeliverDeadWebhooks).toEqual({ __typename: 'RedeliverDeadWebhooksSuccess', count: orders.length * 3 });
    await expect.poll(() => target.firstAcceptances().length, { timeout: 30_000 }).toBe(orders.length * 3);
    expect((await dead()).totalCount).toBe(0);
    for (const { orderId } of orders)
      expect(
        target
          .firstAcceptances()
          .filter((e) => e.subject === orderId)
          .map((e) => e.sequence),
      ).toEqual(['1', '2', '3']);
  });

  it('keeps delivering to other endpoints and taking commands while one endpoint never answers', async () => {
    const { admin, staff, sku, customerId } = parts;
    const silent = await receiver(() => 'hang');
    const healthy = await receiver();
    await endpointFor(admin, silent);
    await endpointFor(admin, healthy);
    const orders = [];
    for (let i = 0; i < 12; i++) orders.push(await orderLifecycle(staff, customerId, sku));
    const ids = new Set(orders.map((o) => o.orderId));
    await expect.poll(() => healthy.firstAcceptances().filter((e) => ids.has(e.subject)).length, { timeout: 60_000 }).toBe(12 * 8);
    // The silent endpoint was sent at most one message per order (its streams' heads) and answered none.
    expect(silent.attempts.size).toBeGreaterThan(0);
    expect(silent.attempts.size).toBeLessThanOrEqual(server.services.config.reactions.concurrency);
    expect(silent.accepted).toEqual([]);
  });
});

describe('a run of webhooks longer than its first lease', () => {
  // Attempts time out after 1 s, so a run is claimed with a lease of 7 s (two attempt timeouts and
  // 5 s); 60 messages answered after 150 ms each take about 9 s.
  const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_RETRY_SCHEDULE: '100ms', WEBHOOK_TIMEOUT_MS: '1000' });
  const LONG_RUN = 60;
  const ENDPOINTS = '{ webhookEndpoints { id enabled lag } }';
  const ENABLE = `mutation($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { __typename } }`;

  it('sends a run that outlasts its first lease once, in order, while the server stays up', async () => {
    const { admin, staff, sku, customerId } = await setUp(server);
    const target = await receiver(() => 410);
    const endpointId = await endpointFor(admin, target, ['ordersource.order.created.v1', 'ordersource.order.item_added.v1']);
    const orderId = newOrderId();
    await command(staff, 'createOrder', { customerId, orderId });
    const endpoint = async () => (await admin.run(ENDPOINTS)).webhookEndpoints.find((e: any) => e.id === endpointId);
    await expect.poll(async () => (await endpoint()).enabled, { timeout: 30_000 }).toBe(false);
    for (let i = 0; i < LONG_RUN - 1; i++) await command(staff, 'addItem', { orderId, sku, quantity: 1 });
    await expect.poll(async () => (await endpoint()).lag, { timeout: 30_000 }).toBe(LONG_RUN);

    // One run of every message, each answered after a while: the run takes longer than the lease
    // it was claimed with (two attempt timeouts and 5 s), so it lives on renewals.
    target.answerWith(() => ({ status: 204, afterMs: 150 }));
    await admin.run(ENABLE, { input: { endpointId } });
    await expect.poll(() => target.firstAcceptances().length, { timeout: 60_000, interval: 200 }).toBe(LONG_RUN);
    expect(target.firstAcceptances().map((e) => Number(e.sequence))).toEqual(Array.from({ length: LONG_RUN }, (_, i) => i + 1));
    // Nothing was sent twice: no message of the run was claimed again behind it.
    expect(target.accepted).toHaveLength(LONG_RUN);
  }, 120_000);
});

describe('webhook endpoints that say they are gone, and secrets that rotate', () => {
  const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_RETRY_SCHEDULE: '100ms' });
  const ENDPOINTS = '{ webhookEndpoints { id enabled disabledReason lag } }';
  const ENABLE = `mutation($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { __typename ... on EnableWebhookEndpointSuccess { endpoint { enabled } } } }`;
  const ROTATE = `mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { __typename ... on RotateWebhookSecretSuccess { secret } } }`;

  it('disables an endpoint that answers 410, keeps its messages, and resumes them in order when it is enabled again', async () => {
    const { admin, staff, sku, customerId } = await setUp(server);
    const target = await receiver(() => 410);
    const endpointId = await endpointFor(admin, target, ['ordersource.order.created.v1', 'ordersource.order.item_added.v1']);
    const { orderId } = await orderLifecycle(staff, customerId, sku);
    const endpoint = async () => (await admin.run(ENDPOINTS)).webhookEndpoints.find((e: any) => e.id === endpointId);
    await expect.poll(async () => (await endpoint()).enabled, { timeout: 30_000 }).toBe(false);
    expect(await endpoint()).toMatchObject({ disabledReason: 'the target answered 410 Gone', lag: 3 });

    target.answerWith(() => 204);
    expect((await admin.run(ENABLE, { input: { endpointId } })).enableWebhookEndpoint.endpoint.enabled).toBe(true);
    await expect.poll(() => target.firstAcceptances().length, { timeout: 30_000 }).toBe(3);
    expect(target.firstAcceptances().map((e) => [e.subject, e.sequence])).toEqual([
      [orderId, '1'],
      [orderId, '2'],
      [orderId, '3'],
    ]);
  });

  it('signs with the old and the new secret after a rotation, so a receiver on either verifies', async () => {
    const { admin, staff, sku, customerId } = await setUp(server);
    const onOld = await receiver();
    const endpointId = await endpointFor(admin, onOld, ['ordersource.order.created.v1']);
    const { rotateWebhookSecret } = await admin.run(ROTATE, { input: { endpointId } });
    expect(rotateWebhookSecret.secret).toMatch(/^whsec_/);
    expect(rotateWebhookSecret.secret).not.toBe(onOld.secret);
    // Both secrets' signatures are in the header: the receiver still on the old secret verifies.
    await orderLifecycle(staff, customerId, sku);
    await expect.poll(() => onOld.accepted.length, { timeout: 30_000 }).toBe(1);
    expect(onOld.unverified).toBe(0);
    const signatures = onOld.accepted[0]!.signature.split(' ');
    expect(signatures).toHaveLength(2);
    onOld.secret = rotateWebhookSecret.secret;
    await orderLifecycle(staff, customerId, sku);
    await expect.poll(() => onOld.accepted.length, { timeout: 30_000 }).toBe(2);
    expect(onOld.unverified).toBe(0);
  });
});

describe('webhook endpoint administration', () => {
  const server = useTestServer({ NODE_ENV: 'test' });

  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['a private address', 'https://10.1.2.3/hook'],
    ['localhost', 'http://localhost:8080/hook'],
    ['the loopback address', 'https://127.0.0.1/hook'],
    ['an IPv6 loopback', 'https://[::1]/hook'],
    ['credentials in the URL', 'https://user:secret@example.com/hook'],
    ['a file URL', 'file:///etc/passwd'],
    ['not a URL', 'nonsense'],
  ])('refuses %s with VALIDATION_FAILED', async (_what, url) => {
    const admin = await clientAs(server, 'admin', 'root');
    const { createWebhookEndpoint } = await admin.run(CREATE, { input: { url } });
    expect(createWebhookEndpoint).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect(createWebhookEndpoint.fieldErrors[0].path).toBe('input.url');
  });

  it('refuses an unknown event type with VALIDATION_FAILED', async () => {
    const admin = await clientAs(server, 'admin', 'root');
    const { createWebhookEndpoint } = await admin.run(CREATE, { input: { url: 'https://example.com/hook', eventTypes: ['order.paid'] } });
    expect(createWebhookEndpoint).toMatchObject({ code: 'VALIDATION_FAILED', fieldErrors: [{ path: 'input.eventTypes.0' }] });
  });

  it.each(['staff', 'customer'] as const)('answers %s FORBIDDEN', async (role) => {
    const client = await clientAs(server, role, unique('someone'));
    const { createWebhookEndpoint } = await client.run(CREATE, { input: { url: 'https://example.com/hook' } });
    expect(createWebhookEndpoint).toMatchObject({ code: 'FORBIDDEN' });
    const listed = await server.graphql('{ webhookEndpoints { id } }', {}, { authorization: `Bearer ${client.token}` });
    expect(listed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
