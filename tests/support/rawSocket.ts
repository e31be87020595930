import WebSocket from 'ws';
import { conditions } from './conditions.js';

/** A graphql-ws message as the server sends it. */
export interface ServerMessage {
  id?: string;
  type: string;
  payload?: any;
}

/**
 * A graphql-ws connection driven message by message, for clients the library's own client would
 * never be (thousands of subscribes in one burst, ids reused at will): acknowledged on return.
 */
export interface RawSocket {
  /** Every message received, in order. */
  messages: ServerMessage[];
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  complete(id: string): void;
  /** Resolves with the first message for `id` of one of `types` (fails after `timeoutMs`). */
  waitFor(id: string, types: string[], timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves once the socket is closed. */
  close(): Promise<void>;
}

export async function openRawSocket(wsUrl: string, authorization?: string): Promise<RawSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages: ServerMessage[] = [];
  const { notify, until } = conditions(() => `${messages.length} messages, last ${JSON.stringify(messages.at(-1))}`);
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerMessage);
    notify();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
  await until(() => messages.some((m) => m.type === 'connection_ack'), 5_000, 'connection_ack');
  const find = (id: string, types: string[]) => messages.find((m) => m.id === id && types.includes(m.type));
  return {
    messages,
    subscribe: (id, query, variables) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    complete: (id) => socket.send(JSON.stringify({ id, type: 'complete' })),
    async waitFor(id, types, timeoutMs = 10_000) {
      await until(() => find(id, types) !== undefined, timeoutMs, `${types.join(' or ')} for ${id}`);
      return find(id, types)!;
    },
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await closed;
    },
  };
}
