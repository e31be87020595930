import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { buildSchema, GraphQLError, parse, type ExecutionArgs } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { Authentication } from '../auth/actor.js';
import { wsDelivery, type WsDeliveryOptions } from './liveDelivery.js';

// Real sockets on loopback (no database): a WebSocket server and clients, as graphql-ws has them.
const schema = buildSchema('type Query { ok: Boolean } type Subscription { tick: Tick } type Tick { n: Int, text: String, fails: Int }');
const QUERY = 'subscription { tick { n text } }';
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const otherStaff: Authentication = { actor: { kind: 'user', sub: 'bob', role: 'staff' } };

let server: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server socket and the client at its other end. */
async function connectedPair(): Promise<{ serverSide: WebSocket; client: WebSocket }> {
  server ??= new WebSocketServer({ port: 0, host: '127.0.0.1' });
  if (!server.address()) await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  clients.push(client);
  const [[serverSide]] = await Promise.all([accepted, once(client, 'open')]);
  return { serverSide, client };
}

function deliveryFor(
  socket: WebSocket,
  id: string,
  auth: Authentication,
  tickResolver: () => unknown,
  overrides: Partial<WsDeliveryOptions> = {},
) {
  const args: ExecutionArgs = { schema, document: parse(QUERY), rootValue: undefined, fieldResolver: undefined };
  // The subscription field's resolver returns the event (the root value); Tick's fields count their calls.
  const rootResolver = (root: unknown, _args: unknown, _ctx: unknown, info: { fieldName: string }) => {
    if (info.fieldName === 'tick') return root;
    if (info.fieldName === 'n') tickResolver();
    return (root as Record<string, unknown>)[info.fieldName];
  };
  return wsDelivery({
    socket,
    id,
    args: { ...args, fieldResolver: rootResolver as never },
    operation: { query: QUERY },
    auth,
    maxBufferedBytes: 64 * 1024,
    maskError: (e) => e,
    ...overrides,
  });
}

const nextMessage = (client: WebSocket) => once(client, 'message').then(([data]) => JSON.parse(String(data)));

describe('wsDelivery', () => {
  it('writes a graphql-ws `next` message with the subscription id and the execution result', async () => {
    const { serverSide, client } = await connectedPair();
    const received = nextMessage(client);
    await deliveryFor(serverSide, 'sub-1', staff, () => {}).send({ n: 7, text: 'seven' });
    expect(await received).toEqual({ id: 'sub-1', type: 'next', payload: { data: { tick: { n: 7, text: 'seven' } } } });
  });

  it('executes a change once for every subscriber with the same operation and viewer, and again for another viewer', async () => {
    const a = await connectedPair();
    const b = await connectedPair();
    const c = await connectedPair();
    let executions = 0;
    const count = () => executions++;
    const event = { n: 1, text: 'one' };
    const got = [nextMessage(a.client), nextMessage(b.client), nextMessage(c.client)];
    await deliveryFor(a.serverSide, '1', staff, count).send(event);
    await deliveryFor(b.serverSide, '9', staff, count).send(event);
    expect(executions).toBe(1);
    await deliveryFor(c.serverSide, '1', otherStaff, count).send(event);
    expect(executions).toBe(2);
    const [ma, mb, mc] = await Promise.all(got);
    expect(ma.payload).toEqual(mb.payload);
    expect(mc.payload).toEqual(ma.payload);
    expect([ma.id, mb.id]).toEqual(['1', '9']);
  });

  it('sends synchronously to every subscriber of a shape once its result is ready, and waits only for an asynchronous execution', async () => {
    const a = await connectedPair();
    const b = await connectedPair();
    const event = { n: 3, text: 'three' };
    const got = [nextMessage(a.client), nextMessage(b.client)];
    // Field resolvers that only pick fields: the execution is synchronous, so the first send is too.
    expect(deliveryFor(a.serverSide, '1', staff, () => {}).send(event)).toBeUndefined();
    expect(deliveryFor(b.serverSide, '1', staff, () => {}).send(event)).toBeUndefined();
    const [ma, mb] = await Promise.all(got);
    expect(ma).toEqual({ id: '1', type: 'next', payload: { data: { tick: { n: 3, text: 'three' } } } });
    expect(mb).toEqual(ma);

    // A resolver that awaits: the first subscriber waits for the execution, the next one finds it done.
    const c = await connectedPair();
    const d = await connectedPair();
    const later = { n: 4, text: 'four' };
    const slowArgs = {
      fieldResolver: ((root: Record<string, unknown>, _a: unknown, _c: unknown, info: { fieldName: string }) =>
        info.fieldName === 'tick' ? Promise.resolve(root) : root[info.fieldName]) as never,
    };
    const slowFor = (socket: WebSocket) =>
      wsDelivery({
        socket,
        id: '2',
        args: { schema, document: parse(QUERY), ...slowArgs },
        operation: { query: QUERY },
        auth: staff,
        maxBufferedBytes: 64 * 1024,
        maskError: (e) => e,
      });
    const gotLater = [nextMessage(c.client), nextMessage(d.client)];
    const first = slowFor(c.serverSide).send(later);
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(slowFor(d.serverSide).send(later)).toBeUndefined();
    for (const message of await Promise.all(gotLater)) {
      expect(message).toEqual({ id: '2', type: 'next', payload: { data: { tick: { n: 4, text: 'four' } } } });
    }
  });

  it('masks execution errors the way the server masks every result', async () => {
    const { serverSide, client } = await connectedPair();
    const received = nextMessage(client);
    const failing = () => {
      throw new Error('database password is hunter2');
    };
    await deliveryFor(serverSide, '1', staff, failing, { maskError: () => new GraphQLError('Unexpected error.') }).send({
      n: 1,
      text: 'x',
    });
    const message = await received;
    expect(message.payload.errors).toEqual([{ message: 'Unexpected error.' }]);
    expect(JSON.stringify(message)).not.toContain('hunter2');
  });

  it('closes a socket whose unsent bytes pass the bound with 1013, instead of queueing without end', async () => {
    const { serverSide, client } = await connectedPair();
    client.pause(); // a client that stops reading: the kernel buffers fill, then the server's queue grows
    const closed = once(client, 'close');
    const delivery = deliveryFor(serverSide, '1', staff, () => {});
    const big = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 200 && serverSide.readyState === WebSocket.OPEN; i++) await delivery.send({ n: i, text: big });
    expect(serverSide.readyState).not.toBe(WebSocket.OPEN);
    client.resume();
    const [code] = await closed;
    expect(code).toBe(1013);
  });
});
