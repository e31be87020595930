import { describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { unique } from './support/api.js';
import { useTestServer } from './support/testServer.js';

// A caller's `x-request-id` is its own text: quoted back (cut to 64 characters) so a user can find
// the log line, but never written into the immutable log.

const server = useTestServer();

describe("the caller's x-request-id", () => {
  it('is cut to 64 characters where it is quoted back', async () => {
    const given = 'r'.repeat(100);
    const answer = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': given },
      body: JSON.stringify({ query: 1, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
    });
    const body = (await answer.json()) as { errors: { extensions: { requestId: string } }[] };
    expect(body.errors[0]!.extensions.requestId).toBe('r'.repeat(64));
  });

  it("is not stored in the events' metadata: their correlation id is one of ours", async () => {
    const token = await signAccessToken({ sub: 'alice', role: 'staff' }, server.services.config.jwt);
    const sku = unique('REQID');
    const given = `caller-chosen-${'q'.repeat(40)}`;
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': given },
      body: JSON.stringify({
        query: 'mutation($input: AddProductInput!) { addProduct(input: $input) { __typename } }',
        variables: { input: { sku, name: 'Request id', priceCents: 100, initialStock: 1 } },
      }),
    });
    expect(response.status).toBe(200);
    const stored = await server.services.db.pool.query<{ metadata: Record<string, unknown> }>(
      `SELECT metadata FROM events WHERE data->>'sku' = $1`,
      [sku],
    );
    expect(stored.rows).toHaveLength(1);
    expect(JSON.stringify(stored.rows[0]!.metadata)).not.toContain('caller-chosen');
    expect(stored.rows[0]!.metadata.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
