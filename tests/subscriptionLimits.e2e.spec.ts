import { beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { openRawSocket } from './support/rawSocket.js';
import { type TestServer, useTestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

/** The close code of a WebSocket beyond its address's share. */
const TOO_MANY_CONNECTIONS = 4429;

const INVENTORY = 'subscription { inventoryChanged { sku available } }';

/**
 * Asks `/health` one answer after the other while `busy()` holds, and returns what `progress()`
 * said at each answer: answers that see the work part-done are answers it let through.
 */
async function healthAnswersWhile(url: string, busy: () => boolean, progress: () => number): Promise<number[]> {
  const health = url.replace(/\/graphql$/, '/health');
  const seen: number[] = [];
  do {
    expect((await fetch(health)).status).toBe(200);
    seen.push(progress());
  } while (busy());
  return seen;
}

describe("tearing down a socket's subscriptions", () => {
  const COUNT = 20_000;
  const server = useTestServer({
    WS_MAX_SUBSCRIPTIONS: String(COUNT),
    WS_SUBSCRIBES_PER_SECOND: String(COUNT),
    WS_SUBSCRIBE_BURST: String(COUNT),
  });

  it('keeps /health answering between the turns in which 20,000 subscriptions of one dropped socket are torn down', async () => {
    const listeners = () => server.services.liveFeed.listenerCount('product');
    const socket = await openRawSocket(server.wsUrl);
    for (let i = 0; i < COUNT; i++) socket.subscribe(`s${i}`, INVENTORY);
    await expect.poll(listeners, { timeout: 30_000, interval: 100 }).toBe(COUNT);

    const dropped = socket.close();
    const seen = await healthAnswersWhile(server.app.url, () => listeners() > 0, listeners);
    await dropped;
    expect(listeners()).toBe(0);
    // A teardown that ends them all in one go (or one quadratic in the subscriptions, holding the
    // loop for seconds per turn) lets no answer through while part of them is still there; one
    // that yields lets /health answer between its turns, at several stages of the teardown.
    const partway = new Set(seen.filter((left) => left > 0 && left < COUNT));
    expect(partway.size).toBeGreaterThanOrEqual(2);
  });
});

describe('subscriptions per socket', () => {
  const server = useTestServer();
  let staff: ApiClient;
  beforeAll(async () => {
    staff = await clientAs(server, 'staff', 'limits');
  });

  it('answers the 101st subscription of a socket with TOO_MANY_SUBSCRIPTIONS, keeping the socket and the other 100', async () => {
    const socket = await openRawSocket(server.wsUrl);
    try {
      for (let i = 0; i < 100; i++) socket.subscribe(`s${i}`, INVENTORY);
      await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: 10_000 }).toBe(100);
      socket.subscribe('s100', INVENTORY);
      const refused = await socket.waitFor('s100', ['error', 'next']);
      expect(refused.type).toBe('error');
      expect(refused.payload[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 100 });

      await command(staff, 'addProduct', { sku: unique('CAP'), name: 'Capped', priceCents: 100, initialStock: 1 });
      expect((await socket.waitFor('s0', ['next'])).payload.data.inventoryChanged).toMatchObject({ available: 1 });
      expect((await socket.waitFor('s99', ['next'])).payload.data.inventoryChanged).toMatchObject({ available: 1 });

      // Completing one makes room again.
      socket.complete('s0');
      await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: 5_000 }).toBe(99);
      socket.subscribe('s101', INVENTORY);
      await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: 5_000 }).toBe(100);
      expect(socket.messages.filter((m) => m.id === 's101')).toEqual([]);
    } finally {
      await socket.close();
    }
  });
});

describe('subscribes per second', () => {
  const server = useTestServer({ WS_SUBSCRIBES_PER_SECOND: '5', WS_SUBSCRIBE_BURST: '10' });

  it('answers subscribes past the burst with RATE_LIMITED and a retry hint, however quickly each was completed', async () => {
    const socket = await openRawSocket(server.wsUrl);
    try {
      for (let i = 0; i < 8; i++) {
        socket.subscribe(`c${i}`, INVENTORY);
        socket.complete(`c${i}`);
      }
      for (let i = 8; i < 12; i++) socket.subscribe(`c${i}`, INVENTORY);
      const refused = await socket.waitFor('c10', ['error']);
      expect(refused.payload[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
      await socket.waitFor('c11', ['error']);
      expect(socket.messages.filter((m) => m.type === 'error').map((m) => m.id)).toEqual(['c10', 'c11']);
      await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: 5_000 }).toBe(2);

      // The bucket refills: a second later there is a token again.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      socket.subscribe('later', INVENTORY);
      await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: 5_000 }).toBe(3);
    } finally {
      await socket.close();
    }
  });
});

/**
 * Opens `sockets` sockets of one customer, each subscribing `perSocket` times to its order, and
 * watches the pool meanwhile: the most connections the burst held at once (beyond those busy
 * before it) and the most requests that waited for one.
 */
async function burstOfFirstReads(server: TestServer, sockets: number, perSocket: number): Promise<{ busiest: number; waited: number }> {
  const staff = await clientAs(server, 'staff', 'cycles');
  const sku = unique('CYC');
  await command(staff, 'addProduct', { sku, name: 'Cycle', priceCents: 100, initialStock: 5 });
  const registered = await command(staff, 'registerCustomer', { name: 'Cycler', email: `${unique('c')}@example.com` });
  const customer = await clientAs(server, 'customer', registered.customer.id);
  const orderId = newOrderId();
  const created = await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  await customer.run('query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: orderId, p: created.position });

  const { pool } = server.services.db;
  const before = pool.totalCount - pool.idleCount;
  let busiest = 0;
  let waited = 0;
  const watch = setInterval(() => {
    busiest = Math.max(busiest, pool.totalCount - pool.idleCount - before);
    waited = Math.max(waited, pool.waitingCount);
  }, 1);
  const opened = await Promise.all(Array.from({ length: sockets }, () => openRawSocket(server.wsUrl, `Bearer ${customer.token}`)));
  try {
    // Each subscribe reads the order twice (to authorize it, then its current state).
    for (const socket of opened)
      for (let i = 0; i < perSocket; i++)
        socket.subscribe(`o${i}`, 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }', { id: orderId });
    for (const socket of opened)
      for (let i = 0; i < perSocket; i++)
        expect((await socket.waitFor(`o${i}`, ['next', 'error'], 60_000)).payload.data.orderStatusChanged).toEqual({ status: 'DRAFT' });
  } finally {
    clearInterval(watch);
    await Promise.all(opened.map((socket) => socket.close()));
  }
  return { busiest, waited };
}

describe('first reads in flight per socket', () => {
  const server = useTestServer({
    WS_MAX_SUBSCRIPTIONS: '1000',
    WS_SUBSCRIBES_PER_SECOND: '100000',
    WS_SUBSCRIBE_BURST: '100000',
    WS_MAX_STARTING_SUBSCRIPTIONS: '2',
  });

  it('lets a burst of subscribes on one socket read with at most WS_MAX_STARTING_SUBSCRIPTIONS connections at once, so the pool never runs dry', async () => {
    const { busiest, waited } = await burstOfFirstReads(server, 1, 400);
    // Unbounded, the 400 first reads queued for the pool's 20 connections; bounded, the socket holds
    // two at most, beside what the server itself reads meanwhile (projection polls, the live feed).
    expect(waited).toBe(0);
    expect(busiest).toBeLessThanOrEqual(2 + 4);
  });
});

describe('first reads in flight across the process', () => {
  const server = useTestServer({
    WS_MAX_SUBSCRIPTIONS: '1000',
    WS_SUBSCRIBES_PER_SECOND: '100000',
    WS_SUBSCRIBE_BURST: '100000',
    WS_MAX_STARTING_SUBSCRIPTIONS: '4',
    WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS: '2',
  });

  it('lets ten sockets of one client read with at most WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS connections at once between them', async () => {
    const { busiest, waited } = await burstOfFirstReads(server, 10, 60);
    // Bounded per socket only, ten sockets took four connections each: 40, twice the pool.
    expect(waited).toBe(0);
    expect(busiest).toBeLessThanOrEqual(2 + 4);
  });
});

/** Opens a graphql-ws socket and says how it went: acknowledged, or closed with a code. */
function connect(wsUrl: string): Promise<{ socket: WebSocket; outcome: 'ack' | number }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  return new Promise((resolve) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve({ socket, outcome: 'ack' });
    });
    socket.once('close', (code) => resolve({ socket, outcome: code }));
  });
}

/** A socket the server acknowledged, tried again while sockets of an earlier test are still being counted as gone. */
async function admitted(wsUrl: string): Promise<{ socket: WebSocket; outcome: 'ack' | number }> {
  let connection: { socket: WebSocket; outcome: 'ack' | number } | undefined;
  await vi.waitFor(
    async () => {
      connection = await connect(wsUrl);
      expect(connection.outcome).toBe('ack');
    },
    { timeout: 10_000, interval: 100 },
  );
  return connection!;
}

describe('WebSockets per client address', () => {
  const server = useTestServer({ WS_MAX_CONNECTIONS_PER_ADDRESS: '3' });

  it('closes a socket beyond WS_MAX_CONNECTIONS_PER_ADDRESS with 4429, and admits one again once another has gone', async () => {
    const open = [await admitted(server.wsUrl), await admitted(server.wsUrl), await admitted(server.wsUrl)];
    try {
      const refused = await connect(server.wsUrl);
      expect(refused.outcome).toBe(TOO_MANY_CONNECTIONS);

      const gone = open.shift()!.socket;
      await new Promise((resolve) => (gone.once('close', resolve), gone.close(1000)));
      // The server counts the socket gone once it has seen the close, a moment after the client.
      open.push(await admitted(server.wsUrl));
    } finally {
      for (const { socket } of open) socket.close(1000);
    }
  });

  it('closes it with 4429 for graphql-ws clients too, whose subscribe then fails with that code', async () => {
    const open = [await admitted(server.wsUrl), await admitted(server.wsUrl), await admitted(server.wsUrl)];
    try {
      const sub = subscribe(server.wsUrl, undefined, INVENTORY);
      const error = await sub.waitForError();
      await sub.close();
      expect(error).toMatchObject({ code: TOO_MANY_CONNECTIONS });
    } finally {
      for (const { socket } of open) socket.close(1000);
    }
  });
});
