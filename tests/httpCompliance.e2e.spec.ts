import { serverAudits, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/testServer.js';

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): the `graphql-http` package's
// server audit, run against the real server. Every MUST has to pass; SHOULD and MAY are reported.

let server: TestServer;
let results: AuditResult[];
beforeAll(async () => {
  server = await startTestServer();
  // The audit's GET requests carry no content type, which a browser could send cross-site without a
  // preflight; our CSRF prevention asks such requests for a header (as any browser client of ours
  // must send), so the audit's fetch sends it too. Nothing else about the requests is changed.
  const fetchFn: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('x-graphql-yoga-csrf', '1');
    return fetch(input, { ...init, headers });
  };
  results = await Promise.all(serverAudits({ url: server.app.url, fetchFn }).map((audit) => audit.fn()));
});
afterAll(() => server.stop());

const describeResult = (r: AuditResult): string => ('reason' in r ? `${r.name} (${r.id}): ${r.reason}` : `${r.name} (${r.id})`);

describe('GraphQL over HTTP compliance (graphql-http server audit)', () => {
  it('passes every MUST audit', () => {
    const failed = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    expect(failed.map(describeResult), 'failed MUST audits').toEqual([]);
    expect(results.filter((r) => r.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it('reports which SHOULD and MAY audits do not pass, so a change in them is visible', () => {
    const notOk = results.filter((r) => !r.name.startsWith('MUST') && r.status !== 'ok').map(describeResult);
    console.info(`graphql-http audit: ${results.filter((r) => r.status === 'ok').length}/${results.length} ok; not ok (SHOULD/MAY):\n  ${notOk.join('\n  ') || 'none'}`);
    expect(results.filter((r) => r.status === 'error' && r.name.startsWith('MUST'))).toEqual([]);
  });
});
