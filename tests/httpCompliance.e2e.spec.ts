import { serverAudits, type AuditResult } from 'graphql-http';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from './support/testServer.js';

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): the `graphql-http` package's
// server audit, run against the real server. Every MUST has to pass; SHOULD and MAY are reported.

const server = useTestServer();
let results: AuditResult[];
beforeAll(async () => {
  results = await Promise.all(serverAudits({ url: server.app.url }).map((audit) => audit.fn()));
});

const describeResult = (r: AuditResult): string => ('reason' in r ? `${r.name} (${r.id}): ${r.reason}` : `${r.name} (${r.id})`);

describe('GraphQL over HTTP compliance (graphql-http server audit)', () => {
  it('passes every MUST audit', () => {
    const failed = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    expect(failed.map(describeResult), 'failed MUST audits').toEqual([]);
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it('reports which SHOULD and MAY audits do not pass, so a change in them is visible', () => {
    const notOk = results.filter((r) => !r.name.startsWith('MUST') && r.status !== 'ok').map(describeResult);
    console.info(
      `graphql-http audit: ${results.filter((r) => r.status === 'ok').length}/${results.length} ok; not ok (SHOULD/MAY):\n  ${notOk.join('\n  ') || 'none'}`,
    );
    expect(results.filter((r) => r.status === 'error' && r.name.startsWith('MUST'))).toEqual([]);
  });
});

describe('CSRF prevention (requests a browser sends cross-site without a preflight)', () => {
  const getQuery = (headers: Record<string, string> = {}) => {
    const url = new URL(server.app.url);
    url.searchParams.set('query', '{ headPosition }');
    return fetch(url, { headers: { accept: 'application/graphql-response+json', ...headers } });
  };
  const postAs = (contentType: string, body: string, headers: Record<string, string> = {}) =>
    fetch(server.app.url, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json', ...headers }, body });

  it('refuses a GET without a CSRF header with 403 and CSRF_HEADER_REQUIRED', async () => {
    const response = await getQuery();
    expect(response.status).toBe(403);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'CSRF_HEADER_REQUIRED',
    );
  });

  it.each(['x-graphql-yoga-csrf', 'apollo-require-preflight'])('answers a GET that carries %s', async (header) => {
    const response = await getQuery({ [header]: '1' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { headPosition: expect.any(String) } });
  });

  it.each([
    ['text/plain', JSON.stringify({ query: '{ headPosition }' })],
    ['application/x-www-form-urlencoded', 'query=%7B%20headPosition%20%7D'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ headPosition }"}\r\n--x--\r\n',
    ],
  ])('refuses a %s POST without a CSRF header with 403', async (contentType, body) => {
    expect((await postAs(contentType, body)).status).toBe(403);
  });

  it('refuses a cross-site form POST of a mutation: nothing is registered', async () => {
    const email = `csrf-${Date.now()}@example.com`;
    const query = `mutation { registerCustomer(input: { name: "Victim", email: "${email}" }) { __typename } }`;
    expect((await postAs('application/x-www-form-urlencoded', `query=${encodeURIComponent(query)}`)).status).toBe(403);
    expect((await postAs('text/plain', JSON.stringify({ query }))).status).toBe(403);
    // The address is still free: the refused requests registered nothing.
    const registered = await postAs('application/json', JSON.stringify({ query }));
    expect(await registered.json()).toEqual({ data: { registerCustomer: { __typename: 'RegisterCustomerSuccess' } } });
  });

  it('lets application/json POSTs through without any header (a browser preflights them)', async () => {
    const response = await postAs('application/json', JSON.stringify({ query: '{ headPosition }' }));
    expect(response.status).toBe(200);
  });
});
