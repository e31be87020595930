import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { codesOf, postRaw, wsOperation } from './support/hardening.js';
import { subscribeSse } from './support/liveSse.js';
import { type TestServer, useTestServers } from './support/testServer.js';

// What a production deployment shows and hides: no introspection, no field suggestions and no
// GraphiQL unless enabled, and never an internal error message or stack trace, in any environment.

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'production-test-secret-of-at-least-32-chars',
  DATA_KEY_SECRET: 'production-test-data-key-secret-of-32-chars',
};
const [production, productionOpen, development] = useTestServers(
  PRODUCTION,
  { ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true', GRAPHIQL: 'true' },
  { NODE_ENV: 'development' },
);

const INTROSPECTION = '{ __schema { queryType { name } } }';
const graphiqlPage = (server: TestServer) => fetch(server.app.url, { headers: { accept: 'text/html' } });

describe('in production', () => {
  it('refuses introspection, over HTTP and graphql-ws, but still answers __typename', async () => {
    const answer = await postRaw(production.app.url, { query: INTROSPECTION });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.message).toMatch(/introspection/i);
    expect((await wsOperation(production.wsUrl, '{ __type(name: "Order") { name } }')).errors![0]!.message).toMatch(/introspection/i);
    expect((await postRaw(production.app.url, { query: '{ __typename }' })).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('does not suggest field names in validation errors', async () => {
    const answer = await postRaw(production.app.url, { query: '{ product(sku: "X") { skus } }' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.message).toMatch(/Cannot query field "skus"/);
    expect(JSON.stringify(answer.body)).not.toMatch(/Did you mean/);
  });

  it('does not suggest enum values for a variable, over graphql-ws either', async () => {
    const result = await wsOperation(production.wsUrl, 'subscription($s: OrderStatus) { orderFeed(status: $s) { orderId } }', {
      s: 'PAIDD',
    });
    expect(result.errors![0]!.message).toMatch(/Value "PAIDD" does not exist in "OrderStatus" enum/);
    expect(JSON.stringify(result)).not.toMatch(/Did you mean/);
  });

  it('serves no GraphiQL', async () => {
    const response = await graphiqlPage(production);
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });

  it('turns introspection and GraphiQL on with GRAPHQL_INTROSPECTION=true and GRAPHIQL=true', async () => {
    expect((await postRaw(productionOpen.app.url, { query: INTROSPECTION })).body).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
    const page = await graphiqlPage(productionOpen);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    // With introspection on, suggestions give nothing away and are kept.
    expect((await postRaw(productionOpen.app.url, { query: '{ product(sku: "X") { skus } }' })).body.errors![0]!.message).toMatch(
      /Did you mean "sku"/,
    );
  });
});

describe('in development', () => {
  it('allows introspection and serves GraphiQL', async () => {
    expect((await postRaw(development.app.url, { query: INTROSPECTION })).status).toBe(200);
    expect((await graphiqlPage(development)).headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe.each([
  ['production', () => production],
  ['development', () => development],
])('an unexpected failure in %s', (_env, serverOf) => {
  let lines: Record<string, any>[];
  beforeAll(() => {
    const server = serverOf();
    lines = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    // The context takes its logger and event store from these shared services on every request.
    server.services.logger = pino({ level: 'error' }, sink);
    server.services.eventStore.headPosition = async () => {
      throw new Error('connection string postgres://admin:hunter2@db/internal refused');
    };
    // A subscription that fails while it starts (listening) and one that fails once running (its first read).
    const { liveFeed, db } = server.services;
    server.services.liveFeed = new Proxy(liveFeed, {
      get: (target, name) => {
        if (name !== 'on') return Reflect.get(target, name);
        return (event: string, listener: () => void) => {
          if (event === 'order') throw new Error('listener table postgres://admin:hunter2@db broken');
          return target.on(event, listener);
        };
      },
    });
    server.services.db = new Proxy(db, {
      get: (target, name) =>
        name === 'prisma'
          ? new Proxy(
              {},
              {
                get: () => {
                  throw new Error('prisma postgres://admin:hunter2@db gone');
                },
              },
            )
          : Reflect.get(target, name),
    });
  });

  it('reaches the client as "Unexpected error." with INTERNAL_SERVER_ERROR and the request id, nothing internal', async () => {
    const answer = await postRaw(serverOf().app.url, { query: '{ headPosition }' }, { 'x-request-id': 'req-quote-me' });
    expect(answer.body.errors).toEqual([
      {
        message: 'Unexpected error.',
        locations: [{ line: 1, column: 3 }],
        path: ['headPosition'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-quote-me' },
      },
    ]);
    expect(JSON.stringify(answer.body)).not.toMatch(/hunter2|postgres|stack|at /);
  });

  it('is logged with the same request id, the real message and its stack', async () => {
    await postRaw(serverOf().app.url, { query: '{ headPosition }' }, { 'x-request-id': 'req-in-the-log' });
    const line = lines.find((l) => l.requestId === 'req-in-the-log');
    expect(line).toMatchObject({ msg: 'unexpected error in a resolver', err: { message: expect.stringContaining('refused') } });
    expect(line!.err.stack).toMatch(/at /);
  });

  it.each([
    ['starts', 'subscription { orderFeed { orderId } }'],
    ['runs', 'subscription { inventoryChanged(sku: "ANY") { sku } }'],
  ])('carries a request id, also in the log, when a subscription fails as it %s, over graphql-ws and SSE', async (_when, query) => {
    const token = await signAccessToken({ sub: 'unexpected-staff', role: 'staff' }, serverOf().services.config.jwt);
    const overWs = await wsOperation(serverOf().wsUrl, query, undefined, `Bearer ${token}`);
    expect(overWs.errors).toEqual([
      expect.objectContaining({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) },
      }),
    ]);
    expect(lines.some((l) => l.requestId === overWs.errors![0]!.extensions!.requestId && l.err)).toBe(true);

    const overSse = subscribeSse(serverOf().app.url, query, undefined, {
      authorization: `Bearer ${token}`,
      'x-request-id': `req-sse-${_when}`,
    });
    try {
      const errors = (await overSse.waitForError()) as { message: string; extensions?: unknown }[];
      expect(errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: `req-sse-${_when}` },
        }),
      ]);
    } finally {
      await overSse.close();
    }
    expect(lines.some((l) => l.requestId === `req-sse-${_when}` && l.err)).toBe(true);
    expect(JSON.stringify([overWs, overSse.events])).not.toMatch(/hunter2|postgres/);
  });

  it('is masked the same way over graphql-ws, with a generated request id', async () => {
    const result = await wsOperation(serverOf().wsUrl, '{ headPosition }');
    expect(codesOf(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(result.errors![0]!.message).toBe('Unexpected error.');
    const requestId = result.errors![0]!.extensions!.requestId;
    expect(requestId).toEqual(expect.any(String));
    expect(lines.some((l) => l.requestId === requestId)).toBe(true);
  });
});
