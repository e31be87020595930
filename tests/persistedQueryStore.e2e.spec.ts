import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type TestServer, useTestServer } from './support/testServer.js';
import { disposeClient } from './support/wsClient.js';

// What anyone may send to the automatic persisted-query store, and what it keeps: only documents
// that parsed and passed validation, within APQ_MAX_BYTES; and a query that is not a string.

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

describe('what the persisted-query store keeps', () => {
  // Room for about one and a half of the padded documents below.
  const server = useTestServer({ APQ_MAX_BYTES: '2048' });
  const padded = (name: string) => `query ${name} { headPosition }\n# ${'x'.repeat(1_200)}`;

  it.each([
    ['text that is not GraphQL', `not graphql ${'z'.repeat(500)}`],
    ['a document that fails validation', '{ noSuchField }'],
  ])('should not store %s sent with its hash: the hash alone stays unknown', async (_what, query) => {
    const hash = sha256(query);
    const registered = await post(server, { query, extensions: persisted(hash) });
    expect(registered.body.data).toBeUndefined();
    expect(registered.body.errors).toHaveLength(1);
    expect((await post(server, { extensions: persisted(hash) })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('should keep a document registered over graphql-ws, once it ran, for a request by hash over HTTP', async () => {
    const query = 'query OverTheSocket { headPosition }';
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const result = await new Promise((resolve, reject) => {
        client.subscribe({ query, extensions: persisted(sha256(query)) }, { next: resolve, error: reject, complete: () => undefined });
      });
      expect(result).toEqual({ data: { headPosition: '0' } });
    } finally {
      await disposeClient(client);
    }
    expect((await post(server, { extensions: persisted(sha256(query)) })).body).toEqual({ data: { headPosition: '0' } });
  });

  it('should be bounded in bytes (APQ_MAX_BYTES): a new registration pushes out the least recently used text', async () => {
    const [first, second] = [padded('First'), padded('Second')];
    for (const query of [first, second]) expect((await post(server, { query, extensions: persisted(sha256(query)) })).status).toBe(200);
    expect((await post(server, { extensions: persisted(sha256(first)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect((await post(server, { extensions: persisted(sha256(second)) })).body).toEqual({ data: { headPosition: '0' } });
  });

  it('should store nothing larger than its whole bound', async () => {
    const huge = `query Huge { headPosition }\n# ${'y'.repeat(3_000)}`;
    expect((await post(server, { query: huge, extensions: persisted(sha256(huge)) })).status).toBe(200);
    expect((await post(server, { extensions: persisted(sha256(huge)) })).body.errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });
});

describe('a persisted-query request whose query is not a string', () => {
  const server = useTestServer();
  const lines: Record<string, any>[] = [];
  beforeAll(() => {
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    server.services.logger = pino({ level: 'info' }, sink);
  });

  it.each([123, { text: '{ headPosition }' }, ['{ headPosition }'], true])(
    'should answer 400 PERSISTED_QUERY_INVALID with the request id, and log it (query: %j)',
    async (query) => {
      const requestId = `req-not-a-string-${JSON.stringify(query).length}-${typeof query}`;
      const answer = await post(server, { query, extensions: persisted(sha256('{ headPosition }')) }, { 'x-request-id': requestId });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        expect.objectContaining({ message: 'query must be a string', extensions: { code: 'PERSISTED_QUERY_INVALID', requestId } }),
      ]);
      expect(lines.some((line) => line.requestId === requestId && line.reason === 'query must be a string')).toBe(true);
    },
  );

  it('should give a generated request id when the caller sent none', async () => {
    const answer = await post(server, { query: 7, extensions: persisted(sha256('{ headPosition }')) });
    expect(answer.status).toBe(400);
    const requestId = answer.body.errors?.[0]?.extensions?.requestId;
    expect(requestId).toEqual(expect.any(String));
    expect(lines.some((line) => line.requestId === requestId)).toBe(true);
  });
});
