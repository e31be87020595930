import { msSince } from './faultServer.js';

/** One GraphQL request's answer, timed, with its first error's code. */
export interface Answer {
  status: number;
  ms: number;
  code?: string;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * Sends one GraphQL request as a client would and times its answer. The generous default timeout
 * lets a request that hangs show up as slow (an assertion on `ms`) rather than as an abort.
 */
export async function post(
  url: string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
  timeoutMs = 40_000,
): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, body, ms: msSince(started), code: body.errors?.[0]?.extensions?.code };
}

/** `GET /ready` of the server behind `url` (its `/graphql` address), timed, with its failures' codes. */
export async function ready(url: string, timeoutMs = 40_000): Promise<{ status: number; ms: number; codes: string[] }> {
  const started = Date.now();
  const response = await fetch(url.replace('/graphql', '/ready'), { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.json()) as { failures: { code: string }[] };
  return { status: response.status, ms: msSince(started), codes: body.failures.map((f) => f.code) };
}
