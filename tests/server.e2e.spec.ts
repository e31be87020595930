import { createClient } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestServer } from './support/testServer.js';

const server = useTestServer();

describe('server skeleton', () => {
  it('answers { __typename } over HTTP POST on /graphql', async () => {
    expect(await server.graphql('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers a query over the WebSocket upgrade of the same path with graphql-ws', async () => {
    const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const result = await new Promise((resolve, reject) => {
        let value: unknown;
        client.subscribe(
          { query: '{ __typename headPosition }' },
          { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
        );
      });
      expect(result).toEqual({ data: { __typename: 'Query', headPosition: '0' } });
    } finally {
      await client.dispose();
    }
  });

  it('reports the head position of the event log', async () => {
    await server.services.eventStore.append({ streams: [{ streamId: 's-1', streamType: 'Test', events: [{ type: 'A', data: {} }] }] });
    const { data } = await server.graphql<{ headPosition: string }>('{ headPosition }');
    expect(BigInt(data!.headPosition)).toBeGreaterThan(0n);
  });

  it('answers GET /health with 200 while the process is up', async () => {
    const response = await fetch(new URL('/health', server.app.url));
    expect(response.status).toBe(200);
  });

  it('rejects an invalid query with a GraphQL validation error, not a 500', async () => {
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: '{ noSuchField }' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toContain('noSuchField');
  });
});
