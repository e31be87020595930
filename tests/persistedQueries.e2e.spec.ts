import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signAccessToken } from '../src/auth/tokens.js';
import { Redis } from 'ioredis';
import { DASHBOARD_MANIFEST, redisPersistedQueryStore } from '../src/graphql/persistedQueries.js';
import { startRedisServer } from './support/redisServer.js';
import { disposeClient } from './support/wsClient.js';
import { apiClient, command, unique } from './support/api.js';
import { type TestServer, useTestServer } from './support/testServer.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type GraphQLBody = { data?: Record<string, unknown>; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(
  server: TestServer,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: GraphQLBody }> {
  const response = await fetch(server.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('automatic persisted queries', () => {
  const server = useTestServer();

  it('should answer PersistedQueryNotFound for an unknown hash, then run it by hash alone once its text was sent', async () => {
    const query = '{ headPosition apqProbe: __typename }';
    const hash = sha256(query);
    const unknown = await post(server, { extensions: persisted(hash) });
    expect(unknown.body.errors?.[0]).toMatchObject({
      message: 'PersistedQueryNotFound',
      extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
    });

    expect((await post(server, { query, extensions: persisted(hash) })).body).toEqual({ data: { headPosition: '0', apqProbe: 'Query' } });
    expect((await post(server, { extensions: persisted(hash) })).body).toEqual({ data: { headPosition: '0', apqProbe: 'Query' } });
  });

  it("should run the dashboard's operations by their manifest hash alone, without trusted-documents mode and without a registration", async () => {
    const manifest = JSON.parse(readFileSync(DASHBOARD_MANIFEST, 'utf8')) as Record<string, string>;
    const [key] = Object.entries(manifest).find(([, document]) => document.includes(' DashboardProducts'))!;
    const staffToken = await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt);
    const products = await post(
      server,
      { operationName: 'DashboardProducts', variables: { first: 5 }, extensions: persisted(key.replace(/^sha256:/, '')) },
      { authorization: `Bearer ${staffToken}` },
    );
    expect(products.body.errors).toBeUndefined();
    expect(products.body.data).toHaveProperty('products');
  });

  it('should refuse a text whose hash is not the one sent, and store nothing under that hash', async () => {
    const hash = sha256('{ somethingElse }');
    const refused = await post(server, { query: '{ headPosition }', extensions: persisted(hash) });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_INVALID');
    expect((await post(server, { extensions: persisted(hash) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it("should serve Apollo Client's persisted-query link: hash first, the text once on PersistedQueryNotFound, then the hash alone", async () => {
    const sent: Record<string, unknown>[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
      return fetch(input, init);
    };
    const newClient = () =>
      new ApolloClient({
        link: ApolloLink.from([new PersistedQueryLink({ sha256 }), new HttpLink({ uri: server.app.url, fetch: recordingFetch })]),
        cache: new InMemoryCache(),
      });
    const query = gql`
      query ApolloProbe {
        headPosition
      }
    `;
    const first = await newClient().query({ query, fetchPolicy: 'network-only' });
    expect(first.data).toEqual({ headPosition: '0' });
    expect(sent.map((body) => typeof body.query === 'string')).toEqual([false, true]);

    // Another client (a new page load) sends only the hash, and the server knows it.
    const second = await newClient().query({ query, fetchPolicy: 'network-only' });
    expect(second.data).toEqual({ headPosition: '0' });
    expect(sent.length).toBe(3);
    expect(sent[2]).not.toHaveProperty('query');
  });
});

describe('the persisted-query store on Redis (REDIS_URL)', () => {
  it("should find a text registered through one process's connection through another's, with an expiry", async () => {
    const redis = await startRedisServer();
    const [one, two] = [new Redis(redis.url), new Redis(redis.url)];
    try {
      await redisPersistedQueryStore(one, 60).set('f'.repeat(64), '{ headPosition }');
      expect(await redisPersistedQueryStore(two, 60).get('f'.repeat(64))).toBe('{ headPosition }');
      expect(await two.ttl(`ordersource:apq:${'f'.repeat(64)}`)).toBeGreaterThan(0);
      expect(await redisPersistedQueryStore(two, 60).get('e'.repeat(64))).toBeUndefined();
    } finally {
      one.disconnect();
      two.disconnect();
      await redis.stop();
    }
  });
});

describe('trusted documents (TRUSTED_DOCUMENTS=true)', () => {
  let manifestDir: string;
  let customerToken: string;
  let staffToken: string;
  const manifest = JSON.parse(readFileSync(DASHBOARD_MANIFEST, 'utf8')) as Record<string, string>;
  const hashOf = (operationName: string) => {
    const entry = Object.entries(manifest).find(([, document]) => document.includes(` ${operationName}`));
    if (!entry) throw new Error(`${operationName} is not in the dashboard's manifest`);
    return entry[0].replace(/^sha256:/, '');
  };
  // A frontend team's own manifest, added with TRUSTED_DOCUMENTS_MANIFESTS.
  const teamQuery = 'query StorefrontHead { headPosition }';

  beforeAll(async () => {
    manifestDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-manifest-'));
    await writeFile(path.join(manifestDir, 'storefront.json'), JSON.stringify({ [`sha256:${sha256(teamQuery)}`]: teamQuery }));
  });
  afterAll(() => rm(manifestDir, { recursive: true, force: true }));
  const server = useTestServer(() => ({
    TRUSTED_DOCUMENTS: 'true',
    TRUSTED_DOCUMENTS_MANIFESTS: path.join(manifestDir, 'storefront.json'),
  }));
  beforeAll(async () => {
    customerToken = await signAccessToken({ sub: 'cust-1', role: 'customer' }, server.services.config.jwt);
    staffToken = await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt);
  });

  it('should refuse a query sent as text by an anonymous caller or a customer with TRUSTED_DOCUMENT_REQUIRED', async () => {
    for (const headers of [{}, { authorization: `Bearer ${customerToken}` }] as Record<string, string>[]) {
      const refused = await post(server, { query: '{ headPosition }' }, headers);
      expect(refused.status).toBe(403);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
      expect(refused.body).not.toHaveProperty('data');
    }
  });

  it("should run the dashboard's operations by their manifest hash for a caller who is not staff", async () => {
    const products = await post(server, {
      operationName: 'DashboardProducts',
      variables: { first: 5 },
      extensions: persisted(hashOf('DashboardProducts')),
    });
    expect(products.body.errors).toBeUndefined();
    expect(products.body.data).toHaveProperty('products');
    // The client preset's own spelling of the hash (`sha256:<hex>`, Apollo sends the bare hex) names the same document.
    const prefixed = await post(server, {
      operationName: 'DashboardProducts',
      variables: { first: 5 },
      extensions: persisted(`sha256:${hashOf('DashboardProducts')}`),
    });
    expect(prefixed.body.data).toEqual(products.body.data);
  });

  it("should run a frontend team's operation from its extra manifest, and refuse an APQ registration of anything else", async () => {
    const team = await post(server, { extensions: persisted(sha256(teamQuery)) }, { authorization: `Bearer ${customerToken}` });
    expect(team.body).toEqual({ data: { headPosition: '0' } });

    const other = '{ headPosition }';
    expect((await post(server, { extensions: persisted(sha256(other)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect((await post(server, { query: other, extensions: persisted(sha256(other)) })).body.errors?.[0]?.extensions?.code).toBe(
      'TRUSTED_DOCUMENT_REQUIRED',
    );
    expect((await post(server, { extensions: persisted(sha256(other)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('should let staff still send any text', async () => {
    const staff = await post(server, { query: '{ headPosition }' }, { authorization: `Bearer ${staffToken}` });
    expect(staff.body).toEqual({ data: { headPosition: '0' } });
  });

  it(
    'should hold the same rules over graphql-ws: text refused, a manifest hash subscribed and pushed to',
    { timeout: 20_000 },
    async () => {
      const client = createClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${customerToken}` },
      });
      const first = <T>(payload: { query: string; extensions?: Record<string, unknown> }) =>
        new Promise<T>((resolve, reject) => {
          const dispose = client.subscribe<T>(payload, {
            next: (value) => {
              dispose();
              resolve(value as T);
            },
            error: reject,
            complete: () => undefined,
          });
        });
      try {
        const refused = await first<unknown>({ query: 'subscription { inventoryChanged { sku } }' }).catch((errors: unknown) => errors);
        expect(JSON.stringify(refused)).toContain('TRUSTED_DOCUMENT_REQUIRED');
        const pushed = first<{ data?: { inventoryChanged: { sku: string } }; errors?: unknown }>({
          query: '',
          extensions: persisted(hashOf('DashboardInventory')),
        });
        // A product added after the subscription started is pushed to it.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const sku = unique('TRUSTED');
        await command(apiClient(server, staffToken), 'addProduct', { sku, name: 'Trusted', priceCents: 100, initialStock: 1 });
        expect((await pushed).data?.inventoryChanged.sku).toBe(sku);
      } finally {
        await disposeClient(client);
      }
    },
  );
});
