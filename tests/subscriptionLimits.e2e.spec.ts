import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { openRawSocket } from './support/rawSocket.js';
import { useTestServer } from './support/testServer.js';

const INVENTORY = 'subscription { inventoryChanged { sku available } }';

/** The slowest `/health` answer while `busy()` holds (polled one after the other), in ms. */
async function slowestHealthWhile(url: string, busy: () => boolean): Promise<number> {
  const health = url.replace(/\/graphql$/, '/health');
  let slowest = 0;
  do {
    const started = performance.now();
    expect((await fetch(health)).status).toBe(200);
    slowest = Math.max(slowest, performance.now() - started);
  } while (busy());
  return slowest;
}

describe("tearing down a socket's subscriptions", () => {
  const COUNT = 20_000;
  const server = useTestServer({
    WS_MAX_SUBSCRIPTIONS: String(COUNT),
    WS_SUBSCRIBES_PER_SECOND: String(COUNT),
    WS_SUBSCRIBE_BURST: String(COUNT),
  });

  it('keeps /health answering quickly while 20,000 subscriptions of one dropped socket are torn down', async () => {
    const listeners = () => server.services.liveFeed.listenerCount('product');
    const socket = await openRawSocket(server.wsUrl);
    for (let i = 0; i < COUNT; i++) socket.subscribe(`s${i}`, INVENTORY);
    await expect.poll(listeners, { timeout: 30_000, interval: 100 }).toBe(COUNT);

    const dropped = socket.close();
    const slowest = await slowestHealthWhile(server.app.url, () => listeners() > 0);
    await dropped;
    expect(listeners()).toBe(0);
    // Idle it answers in a few ms (tens on a loaded machine); a teardown quadratic in the
    // subscriptions, or one that ends them all in one go, held it for seconds.
    expect(slowest).toBeLessThan(1_000);
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

describe('first reads in flight per socket', () => {
  const server = useTestServer({
    WS_MAX_SUBSCRIPTIONS: '1000',
    WS_SUBSCRIBES_PER_SECOND: '100000',
    WS_SUBSCRIBE_BURST: '100000',
    WS_MAX_STARTING_SUBSCRIPTIONS: '2',
  });

  it('lets a burst of subscribes on one socket read with at most WS_MAX_STARTING_SUBSCRIPTIONS connections at once, so the pool never runs dry', async () => {
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
    const socket = await openRawSocket(server.wsUrl, `Bearer ${customer.token}`);
    try {
      // Each subscribe reads the order twice (to authorize it, then its current state).
      const COUNT = 400;
      for (let i = 0; i < COUNT; i++)
        socket.subscribe(`o${i}`, 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status } }', { id: orderId });
      for (let i = 0; i < COUNT; i++)
        expect((await socket.waitFor(`o${i}`, ['next', 'error'], 30_000)).payload.data.orderStatusChanged).toEqual({ status: 'DRAFT' });
    } finally {
      clearInterval(watch);
      await socket.close();
    }
    // Unbounded, the 400 first reads queued for the pool's 20 connections; bounded, the socket holds
    // two at most, beside what the server itself reads meanwhile (projection polls, the live feed).
    expect(waited).toBe(0);
    expect(busiest).toBeLessThanOrEqual(2 + 4);
  });
});
