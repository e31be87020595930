import { expect, vi } from 'vitest';
import { commandMutation } from '../../support/api.js';
import { subscribe, type Subscription } from '../../support/wsClient.js';
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

/** A probe's outcome: what was asked, how long the answer took and its code. */
export interface Probe {
  what: string;
  ms: number;
  code?: string;
}

/** A `createOrder` for `customerId` (which needs the database to write), as a probe. */
export async function probeCommand(url: string, token: string, customerId: string): Promise<Probe> {
  const answer = await post(url, token, commandMutation('createOrder'), { input: { customerId } });
  return { what: 'mutation', ms: answer.ms, code: answer.code };
}

/** A read of order `orderId` (which needs the database), as a probe. */
export async function probeRead(url: string, token: string, orderId: string): Promise<Probe> {
  const answer = await post(url, token, `{ order(id: "${orderId}") { status } }`);
  return { what: 'query', ms: answer.ms, code: answer.code };
}

/**
 * Sends `submitOrder` for `orderId` until it succeeds and returns its result. Every attempt has the
 * same commandId: an attempt that committed but lost its answer is repeated safely.
 */
export function submitOnceServing(
  url: string,
  token: string,
  orderId: string,
  what: string,
  timeoutMs: number,
): Promise<Record<string, any>> {
  return vi.waitFor(
    async () => {
      const answer = await post(url, token, commandMutation('submitOrder'), { input: { orderId, commandId: `${orderId}-submit` } });
      expect(answer.body.data?.submitOrder?.__typename, what).toBe('SubmitOrderSuccess');
      return answer.body.data!.submitOrder as Record<string, any>;
    },
    { timeout: timeoutMs },
  );
}

/** Subscribes to order `orderId`'s status changes and to the feed of every order's changes. */
export function watchOrder(url: string, token: string, orderId: string): { status: Subscription<any>; feed: Subscription<any> } {
  const wsUrl = url.replace('http', 'ws');
  return {
    status: subscribe(wsUrl, token, `subscription { orderStatusChanged(orderId: "${orderId}") { status position } }`),
    feed: subscribe(wsUrl, token, 'subscription { orderFeed { orderId type position } }'),
  };
}
