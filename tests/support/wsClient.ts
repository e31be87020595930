import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { conditions } from './conditions.js';

/**
 * Closes a graphql-ws client. graphql-ws 6 rejects `dispose()` with the close event when the socket
 * closed while it was still connecting (the server refused it, or it was shutting down): there is
 * then nothing left to close, so that rejection is not an error for whoever is leaving.
 */
export async function disposeClient(client: Client): Promise<void> {
  try {
    await client.dispose();
  } catch (error) {
    if (!isCloseEvent(error)) throw error;
  }
}

const isCloseEvent = (value: unknown): boolean => typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

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
      await disposeClient(client);
    },
  };
}
