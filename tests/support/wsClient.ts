import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { conditions } from './conditions.js';

/** A graphql-ws subscription collecting payloads, with a bounded wait for the next ones. */
export interface Subscription<T> {
  received: T[];
  errors: unknown[];
  /** Resolves once `count` payloads have arrived (fails after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves with the first error (fails after `timeoutMs`). */
  waitForError(timeoutMs?: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Subscribes over a real WebSocket, authenticating with `connectionParams.authorization`. */
export function subscribe<T = Record<string, any>>(
  wsUrl: string,
  token: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Subscription<T> {
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  const received: T[] = [];
  const errors: unknown[] = [];
  const { notify, until } = conditions(() => `received ${JSON.stringify(received)}, errors ${JSON.stringify(errors)}`);
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        else received.push(Object.values(value.data as object)[0] as T);
        notify();
      },
      error: (error) => {
        errors.push(error);
        notify();
      },
      complete: notify,
    },
  );
  return {
    received,
    errors,
    async waitFor(count, timeoutMs = 10_000) {
      await until(() => received.length >= count, timeoutMs, `${count} payloads`);
      return received.slice(0, count);
    },
    async waitForError(timeoutMs = 10_000) {
      await until(() => errors.length > 0, timeoutMs, 'an error');
      return errors[0];
    },
    async close() {
      dispose();
      await client.dispose();
    },
  };
}
