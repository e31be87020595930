import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { postRaw, wsOperation } from './support/hardening.js';
import { stopTestServers, useTestServers, type TestServer } from './support/testServer.js';

// Metrics are for operators: no client can grow them (label values come from a bounded set), in
// production no one without the operators' token reads them or the detail of /ready, and no answer
// about them carries a stack trace.
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'metrics-exposure-test-jwt-secret-0123456789',
  DATA_KEY_SECRET: 'metrics-exposure-test-data-key-secret-012345',
};
const METRICS_TOKEN = 'metrics-exposure-test-token-0123456789';
const [open, productionWithToken, productionWithoutToken] = useTestServers(
  { NODE_ENV: 'development' },
  { ...PRODUCTION, METRICS_TOKEN },
  PRODUCTION,
);
afterAll(() => stopTestServers());

const base = (server: TestServer) => server.app.url.replace(/\/graphql$/, '');
const get = (server: TestServer, path: string, headers: Record<string, string> = {}) => fetch(`${base(server)}${path}`, { headers });
const labelValues = (metrics: string, label: string) =>
  new Set([...metrics.matchAll(new RegExp(`${label}="([^"]*)"`, 'g'))].map((m) => m[1]));

describe('metrics labels', () => {
  it('never take a client-chosen operation name beyond a bounded set, over HTTP and graphql-ws', async () => {
    const marker = `Zq${randomUUID().replaceAll('-', '')}`;
    const long = (n: number) => `Op${n}_${marker}${'x'.repeat(2_000)}`;
    for (let n = 0; n < 60; n++) await postRaw(open.app.url, { query: `query ${long(n)} { __typename }` });
    for (let n = 0; n < 60; n++) await postRaw(open.app.url, { query: `query Short${n} { __typename }` });
    for (let n = 0; n < 5; n++) await wsOperation(open.wsUrl, `query Ws${n}${marker}${'y'.repeat(1_000)} { __typename }`);
    // An operation name the document does not have, as sent with a trusted document's hash.
    await postRaw(open.app.url, { query: 'query Known { __typename }', operationName: `Chosen${marker}` });
    const metrics = await (await get(open, '/metrics')).text();
    expect(metrics).not.toContain(marker);
    const names = labelValues(metrics, 'operationName');
    expect(names.size).toBeLessThanOrEqual(50 + 2);
    expect(names).toContain('other');
  });

  it('never take alias names from the paths of errors', async () => {
    const alias = `alias_${randomUUID().replaceAll('-', '')}`;
    const answer = await postRaw(open.app.url, { query: `{ ${alias}: order(id: "nope") { id } }` });
    expect(answer.body.errors).toBeDefined();
    const metrics = await (await get(open, '/metrics')).text();
    expect(metrics).toContain('graphql_envelop_error_result');
    expect(metrics).not.toContain(alias);
  });
});

describe('in production', () => {
  it('serves /metrics only with Authorization: Bearer <METRICS_TOKEN>', async () => {
    expect((await get(productionWithToken, '/metrics')).status).toBe(401);
    expect((await get(productionWithToken, '/metrics', { authorization: 'Bearer wrong-token-of-some-length' })).status).toBe(401);
    const granted = await get(productionWithToken, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(granted.status).toBe(200);
    expect(await granted.text()).toContain('ordersource_commands_total');
  });

  it('does not serve /metrics at all without METRICS_TOKEN', async () => {
    const answer = await get(productionWithoutToken, '/metrics');
    expect(answer.status).toBe(404);
    expect(await answer.text()).not.toContain('ordersource_');
  });

  it('answers /ready with {"ready": true|false} alone without the token, and the checks with it', async () => {
    for (const server of [productionWithToken, productionWithoutToken]) {
      const bare = await get(server, '/ready');
      expect([200, 503]).toContain(bare.status);
      expect(Object.keys(await bare.json())).toEqual(['ready']);
    }
    const detailed = await get(productionWithToken, '/ready', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(await detailed.json()).toMatchObject({ ready: expect.any(Boolean), failures: expect.any(Array), head: expect.any(String) });
  });
});

describe('outside production', () => {
  it('keeps /metrics and the detail of /ready open', async () => {
    expect((await get(open, '/metrics')).status).toBe(200);
    expect(await (await get(open, '/ready')).json()).toMatchObject({ failures: expect.any(Array) });
  });
});

describe('a failed metrics collection', () => {
  it('answers 500 without a stack trace or file path', async () => {
    new Gauge({
      name: 'test_broken_gauge',
      help: 'fails to collect',
      registers: [productionWithToken.services.metrics.registry],
      collect() {
        throw new RangeError('Invalid string length');
      },
    });
    try {
      const answer = await get(productionWithToken, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
      expect(answer.status).toBe(500);
      const body = await answer.text();
      expect(body).not.toMatch(/RangeError|Invalid string length|\bat \w|\.ts:\d|\.js:\d|\//);
    } finally {
      productionWithToken.services.metrics.registry.removeSingleMetric('test_broken_gauge');
    }
  });
});
