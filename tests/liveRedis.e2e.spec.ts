import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { REDIS_PROGRESS_TOPIC } from '../src/live/redisProgress.js';
import { command, newOrderId, unique } from './support/api.js';
import { processClient, stopProcess } from './support/liveProcess.js';
import { startRedisServer, type RedisServer } from './support/redisServer.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { subscribe, type Subscription } from './support/wsClient.js';

// Two server processes on one PostgreSQL with REDIS_URL: the live fan-out signal goes through Redis.
const JWT = { secret: 'live-redis-test-secret-0123456789abcdef-xyz', isDevelopmentSecret: false };
const FEED = 'subscription { orderFeed { orderId type status position } }';
type FeedPayload = { orderId: string; type: string; status: string; position: string };

let database: TestDatabase;
let redis: RedisServer;
let processes: ServerProcess[] = [];
let watcher: Redis;
const signals: { name: string; position: string }[] = [];
const subscriptions: Subscription<FeedPayload>[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  redis = await startRedisServer();
  watcher = new Redis(redis.url);
  watcher.on('error', () => {}); // refused while the test stops Redis; it reconnects and resubscribes
  watcher.on('message', (_channel: string, message: string) => signals.push(JSON.parse(message)));
  await watcher.subscribe(REDIS_PROGRESS_TOPIC);
  const env = {
    DATABASE_URL: database.connectionString,
    JWT_SECRET: JWT.secret,
    REDIS_URL: redis.url,
    DB_POOL_SIZE: '6',
    SHUTDOWN_TIMEOUT_MS: '1000',
  };
  processes = [await startServerProcess(env), await startServerProcess(env)];
});

afterAll(async () => {
  await Promise.all(subscriptions.map((s) => s.close().catch(() => {})));
  await Promise.all(processes.map((p) => stopProcess(p)));
  watcher?.disconnect();
  await redis?.stop();
  await database?.drop();
});

describe('live fan-out through Redis (REDIS_URL)', () => {
  let customer: { id: string; token: string };
  const feedOf = (i: number) => subscriptions[i]!;
  const seen = (i: number, orderId: string) => feedOf(i).received.some((e) => e.orderId === orderId);

  it('pushes a change made through one process to orderFeed subscribers on both, signalled over Redis', async () => {
    const [a, b] = processes as [ServerProcess, ServerProcess];
    const staffToken = await signAccessToken({ sub: 'alice', role: 'staff' }, JWT);
    const staffB = processClient(b.url, staffToken);
    const registered = await command(staffB, 'registerCustomer', { name: 'Redis', email: `${unique('r')}@example.com` });
    customer = { id: registered.customer.id, token: registered.token };
    for (const server of [a, b]) subscriptions.push(subscribe<FeedPayload>(server.url.replace(/^http/, 'ws'), staffToken, FEED));

    // orderFeed sends nothing until a change: create orders until both feeds have pushed one.
    const asCustomer = processClient(b.url, customer.token);
    const orderIds: string[] = [];
    await expect
      .poll(
        async () => {
          if (orderIds.some((id) => seen(0, id) && seen(1, id))) return true;
          const orderId = newOrderId();
          orderIds.push(orderId);
          await command(asCustomer, 'createOrder', { customerId: customer.id, orderId });
          await new Promise((r) => setTimeout(r, 200));
          return false;
        },
        { timeout: 10_000, message: 'both orderFeed subscriptions to be live' },
      )
      .toBe(true);
    const created = await command(asCustomer, 'createOrder', { customerId: customer.id, orderId: newOrderId() });
    await expect
      .poll(() => seen(0, created.order.id) && seen(1, created.order.id), { timeout: 10_000, message: 'the order to reach both feeds' })
      .toBe(true);
    // The projection's holder announced that batch on the Redis channel.
    await expect
      .poll(() => signals.some((s) => s.name === 'orders' && BigInt(s.position) >= BigInt(created.position)), {
        timeout: 10_000,
        message: 'a Redis signal covering the order',
      })
      .toBe(true);
  });

  it('delivers what was committed while Redis was down once it is back, and commands never depended on it', async () => {
    const b = processes[1]!;
    const asCustomer = processClient(b.url, customer.token);
    await redis.stop();
    const during = await command(asCustomer, 'createOrder', { customerId: customer.id, orderId: newOrderId() });
    // No signal can travel: the change is committed and projected, and the process running the
    // projection hears its own batch and may push it at once, but the other one cannot learn of it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen(0, during.order.id) && seen(1, during.order.id)).toBe(false);

    await redis.restart();
    // Both processes reconnect, re-read where the projections stand, and push what they missed.
    await expect
      .poll(() => seen(0, during.order.id) && seen(1, during.order.id), {
        timeout: 20_000,
        message: 'the change made during the outage to reach both feeds',
      })
      .toBe(true);
    const after = await command(asCustomer, 'createOrder', { customerId: customer.id, orderId: newOrderId() });
    await expect
      .poll(() => seen(0, after.order.id) && seen(1, after.order.id), {
        timeout: 10_000,
        message: 'a change after the outage to reach both feeds',
      })
      .toBe(true);
    for (const i of [0, 1]) expect(feedOf(i).errors, `feed ${i} errors`).toEqual([]);
  });
});
