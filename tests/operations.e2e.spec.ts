import { beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/database.js';
import { findFreePort } from '../src/db/freePort.js';
import { createLogger } from '../src/logger.js';
import type { Readiness } from '../src/observability/readiness.js';
import { FEATURES, PROJECTIONS } from '../src/features.js';
import { signAccessToken } from '../src/auth/tokens.js';
import { createServices } from '../src/services.js';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { startTestServer, type TestServer, useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

const ALL = PROJECTIONS.map((p) => p.name);
const base = (server: { app: { url: string } }) => server.app.url.replace(/\/graphql$/, '');

async function scrape(server: TestServer): Promise<string> {
  const response = await fetch(`${base(server)}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample in Prometheus text format (`undefined` when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function ready(server: { app: { url: string } }): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${base(server)}/ready`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

describe('GET /metrics', () => {
  const server = useTestServer();
  let staff: ApiClient;
  beforeAll(async () => {
    staff = await clientAs(server, 'staff', 'ops');
  });

  it('counts command outcomes by command and code: a rejection under its code, a success as ok', async () => {
    const sku = unique('OPS');
    const rejected = await command(staff, 'addProduct', { sku, name: 'Gauge', priceCents: 0, initialStock: 1 });
    expect(rejected.code).toBe('VALIDATION_FAILED');
    const before = await scrape(server);
    expect(sample(before, 'ordersource_commands_total', { command: 'addProduct', outcome: 'VALIDATION_FAILED' })).toBe(1);
    expect(sample(before, 'ordersource_commands_total', { command: 'addProduct', outcome: 'ok' })).toBeUndefined();

    await command(staff, 'addProduct', { sku, name: 'Gauge', priceCents: 100, initialStock: 1 });
    const taken = await command(staff, 'addProduct', { sku, name: 'Gauge', priceCents: 100, initialStock: 1 });
    expect(taken.code).toBe('SKU_TAKEN');
    const after = await scrape(server);
    expect(sample(after, 'ordersource_commands_total', { command: 'addProduct', outcome: 'ok' })).toBe(1);
    expect(sample(after, 'ordersource_commands_total', { command: 'addProduct', outcome: 'SKU_TAKEN' })).toBe(1);
  });

  it('exposes the GraphQL request, parse, validate and execute metrics of the Yoga plugin', async () => {
    await staff.run('query HeadForMetrics { headPosition }');
    const text = await scrape(server);
    expect(sample(text, 'graphql_envelop_request', { operationName: 'HeadForMetrics', operationType: 'query' })).toBe(1);
    for (const phase of ['graphql_envelop_phase_parse', 'graphql_envelop_phase_validate', 'graphql_envelop_phase_execute']) {
      expect(sample(text, `${phase}_count`, { operationName: 'HeadForMetrics' }), phase).toBe(1);
    }
    expect(sample(text, 'graphql_yoga_http_duration_count', { operationName: 'HeadForMetrics', method: 'POST', statusCode: '200' })).toBe(
      1,
    );
    expect(text).not.toMatch(/url="/);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('times every append: the latency histogram counts each committed command', async () => {
    const count = async () => sample(await scrape(server), 'ordersource_event_append_duration_seconds_count', { result: 'ok' }) ?? 0;
    const before = await count();
    await command(staff, 'addProduct', { sku: unique('OPS'), name: 'Timer', priceCents: 100, initialStock: 1 });
    await command(staff, 'registerCustomer', { name: 'Op', email: `${unique('op')}@example.com` });
    expect(await count()).toBe(before + 2);
    const text = await scrape(server);
    expect(sample(text, 'ordersource_event_append_duration_seconds_bucket', { result: 'ok', le: '+Inf' })).toBe(before + 2);
  });

  it("reports each projection's position and lag against the head, zero once caught up", async () => {
    const head = await server.services.eventStore.headPosition();
    await server.services.readSide.waitFor(ALL, head, 10_000);
    const text = await scrape(server);
    expect(sample(text, 'ordersource_event_store_head_position')).toBe(Number(head));
    for (const projection of ALL) {
      expect(sample(text, 'ordersource_projection_lag_events', { projection }), projection).toBe(0);
      expect(sample(text, 'ordersource_projection_position', { projection }), projection).toBe(Number(head));
      expect(sample(text, 'ordersource_projection_failed', { projection }), projection).toBe(0);
    }
  });

  it('counts active subscriptions by field while they run, over graphql-ws and server-sent events', async () => {
    const active = async () => sample(await scrape(server), 'ordersource_subscriptions_active', { field: 'inventoryChanged' }) ?? 0;
    const sku = unique('SUB');
    await command(staff, 'addProduct', { sku, name: 'Sub', priceCents: 100, initialStock: 1 });
    const overWs = subscribe(server.wsUrl, undefined, 'subscription($sku: String) { inventoryChanged(sku: $sku) { sku onHand } }', { sku });
    await overWs.waitFor(1);
    const sse = new AbortController();
    const overSse = await fetch(server.app.url, {
      method: 'POST',
      signal: sse.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `subscription { inventoryChanged(sku: "${sku}") { sku } }` }),
    });
    const reader = overSse.body!.getReader();
    for (let text = ''; !text.includes('event: next');) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the event stream ended before its first event: ${text}`);
      text += new TextDecoder().decode(chunk.value);
    }
    expect(await active()).toBe(2);

    await overWs.close();
    sse.abort();
    await vi.waitFor(async () => expect(await active()).toBe(0), { timeout: 5_000, interval: 50 });
  });

  it('counts a graphql-ws subscription that ends in an error as ended', async () => {
    const active = async () => sample(await scrape(server), 'ordersource_subscriptions_active', { field: 'inventoryChanged' }) ?? 0;
    const sku = unique('EXP');
    await command(staff, 'addProduct', { sku, name: 'Expiring', priceCents: 100, initialStock: 1 });
    const before = await active();
    // The stream ends with UNAUTHENTICATED when its token expires.
    const expiring = await signAccessToken({ sub: 'ops', role: 'staff' }, server.services.config.jwt, '2s');
    const sub = subscribe(server.wsUrl, expiring, 'subscription($sku: String) { inventoryChanged(sku: $sku) { sku } }', { sku });
    try {
      await sub.waitFor(1);
      expect(await active()).toBe(before + 1);
      expect(JSON.stringify(await sub.waitForError(5_000))).toContain('UNAUTHENTICATED');
      await vi.waitFor(async () => expect(await active()).toBe(before), { timeout: 5_000, interval: 50 });
    } finally {
      await sub.close();
    }
  });

  it('keeps a registry per server, so two servers in one process count apart', async () => {
    const other = await startTestServer();
    try {
      const text = await scrape(other);
      expect(sample(text, 'ordersource_commands_total', { command: 'addProduct' })).toBeUndefined();
      expect(text).toContain('# TYPE ordersource_commands_total counter');
    } finally {
      await other.stop();
    }
  });
});

describe('GET /ready', () => {
  const server = useTestServer({ READY_MAX_PROJECTION_LAG: '3' });

  it('answers 200 with every check when the database answers and the projections are current; /health stays up', async () => {
    const { status, body } = await ready(server);
    expect(status).toBe(200);
    expect(body).toMatchObject({ ready: true, failures: [], maxProjectionLag: 3 });
    expect(body.databaseLatencyMs).toBeGreaterThanOrEqual(0);
    expect(body.projections?.map((p) => [p.name, p.status])).toEqual(ALL.map((name) => [name, 'RUNNING']));
    expect((await fetch(`${base(server)}/health`)).status).toBe(200);
  });

  it('answers 503 PROJECTION_LAGGING while projections are further behind than READY_MAX_PROJECTION_LAG', async () => {
    const staff = await clientAs(server, 'staff', 'ops');
    await server.services.readSide.stop();
    for (let i = 0; i < 4; i++) await command(staff, 'addProduct', { sku: unique('LAG'), name: 'Lag', priceCents: 100, initialStock: 1 });
    const { status, body } = await ready(server);
    expect(status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.failures.map((f) => [f.code, 'projection' in f ? f.projection : undefined])).toEqual(
      ALL.map((name) => ['PROJECTION_LAGGING', name]),
    );

    server.services.readSide.start();
    await vi.waitFor(async () => expect((await ready(server)).status).toBe(200), { timeout: 10_000, interval: 100 });
  });

  it('answers 503 PROJECTION_FAILED naming the projection that stopped on an event, and 200 again once an admin skips it', async () => {
    const [staff, admin] = [await clientAs(server, 'staff', 'ops'), await clientAs(server, 'admin', 'root')];
    const customerId = (await command(staff, 'registerCustomer', { name: 'Poe', email: `${unique('poe')}@example.com` })).customer.id;
    const orderId = newOrderId();
    await command(staff, 'createOrder', { customerId, orderId });
    // An item event the orders projection cannot apply (a quantity that is not a number).
    await server.services.eventStore.append({
      streams: [
        {
          streamId: `Order-${orderId}`,
          streamType: 'Order',
          expectedVersion: 1,
          events: [{ type: 'ItemAdded', data: { sku: 'X', name: 'Bad', quantity: 'lots', unitPriceCents: 1 } }],
        },
      ],
    });
    // The other projections catch up with the events just written (for a moment they may be more
    // than READY_MAX_PROJECTION_LAG behind); the orders projection's failure stays.
    const failed = await vi.waitFor(
      async () => {
        const answer = await ready(server);
        expect(answer.status).toBe(503);
        expect(answer.body.failures).toEqual([
          expect.objectContaining({ check: 'projections', code: 'PROJECTION_FAILED', projection: 'orders' }),
        ]);
        return answer.body;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(failed.projections?.find((p) => p.name === 'orders')?.status).toBe('FAILED');
    expect(sample(await scrape(server), 'ordersource_projection_failed', { projection: 'orders' })).toBe(1);

    const skipped = await admin.run('mutation { skipProjectionEvent(input: { name: "orders" }) { __typename } }');
    expect(skipped.skipProjectionEvent.__typename).toBe('ProjectionStatus');
    await vi.waitFor(async () => expect((await ready(server)).status).toBe(200), { timeout: 10_000, interval: 100 });
  });
});

describe('GET /ready without a database', () => {
  it('answers 503 DATABASE_UNAVAILABLE when the database does not answer, while /health and /metrics still answer', async () => {
    const logger = createLogger('silent');
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    // Nothing listens on this port: a real connection refusal.
    const db = connectDatabase(`postgres://nobody:nothing@127.0.0.1:${await findFreePort()}/nowhere`, { poolSize: 2 });
    const services = createServices({ config, logger, db, features: FEATURES });
    const app = await startApp(services, { port: 0, host: '127.0.0.1' });
    try {
      const { status, body } = await ready({ app });
      expect(status).toBe(503);
      expect(body).toMatchObject({ ready: false, failures: [{ check: 'database', code: 'DATABASE_UNAVAILABLE' }] });
      expect(body.projections).toBeUndefined();
      expect((await fetch(`${base({ app })}/health`)).status).toBe(200);
      const metricsResponse = await fetch(`${base({ app })}/metrics`);
      expect(metricsResponse.status).toBe(200);
      expect(sample(await metricsResponse.text(), 'ordersource_projection_lag_events', { projection: 'orders' })).toBeUndefined();
    } finally {
      await app.stop(1_000);
      await db.close();
    }
  });
});
