import http from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { disposeClient } from './wsClient.js';

/** A GraphQL response as the tests read it: HTTP status, headers and the parsed body. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[] };
}

/** POSTs `body` (serialized as JSON unless already a string) with exactly the headers given plus a JSON content type. */
export async function postRaw(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** The `extensions.code` of every error in an answer. */
export const codesOf = (answer: { errors?: { extensions?: Record<string, any> }[] }): unknown[] =>
  (answer.errors ?? []).map((e) => e.extensions?.code);

/**
 * Runs one operation over graphql-ws and returns its first result; an operation the server refuses
 * before executing comes back as `{ errors }`, like over HTTP.
 */
export async function wsOperation(
  wsUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  authorization?: string,
): Promise<RawAnswer['body']> {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: authorization ? { authorization } : {},
  });
  try {
    return await new Promise((resolve, reject) => {
      let first: RawAnswer['body'] | undefined;
      const dispose = client.subscribe<Record<string, any>>(
        { query, variables },
        {
          next: (value) => {
            first ??= value as RawAnswer['body'];
            dispose();
            resolve(first);
          },
          error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
          complete: () => (first ? resolve(first) : reject(new Error('completed without a result'))),
        },
      );
    });
  } finally {
    await disposeClient(client);
  }
}

/**
 * POSTs a GraphQL operation from another loopback address (`127.0.0.2` ...): on Linux every
 * 127.x.y.z is the machine itself, so one test can be several clients as the server tells them apart.
 */
export function postFrom(localAddress: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
          resolve({ status: response.statusCode ?? 0, headers: responseHeaders, body: text ? JSON.parse(text) : {} });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}
