import { afterEach, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { stopProcess } from './support/liveProcess.js';
import { startRedisServer, type RedisServer } from './support/redisServer.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';

// Two real server processes (`src/main.ts`) on one database, one caller alternating between them.
const JWT = { secret: 'rate-limit-shared-test-secret-0123456789abc', isDevelopmentSecret: false };
const PER_MINUTE = 60;
const SENT = 100;

let database: TestDatabase | undefined;
let redis: RedisServer | undefined;
let processes: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.map((p) => stopProcess(p)));
  await redis?.stop();
  await database?.drop();
  [database, redis, processes] = [undefined, undefined, []];
});

/** Sends SENT mutations as one identity, alternately to each process; counts those not RATE_LIMITED. */
async function sendAlternately(urls: string[]): Promise<{ accepted: number; limited: number; elapsedMs: number }> {
  const token = await signAccessToken({ sub: 'busy-clerk', role: 'staff' }, JWT);
  const started = Date.now();
  let accepted = 0;
  let limited = 0;
  for (let i = 0; i < SENT; i++) {
    const response = await fetch(urls[i % urls.length]!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
      // A command on an order that does not exist: cheap, yet a mutation the limit counts.
      body: JSON.stringify({ query: `mutation { submitOrder(input: { orderId: "missing-${i}" }) { __typename } }` }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code;
    if (code === 'RATE_LIMITED') limited++;
    else if (code === undefined) accepted++;
    else throw new Error(`unexpected answer ${JSON.stringify(body)}`);
  }
  return { accepted, limited, elapsedMs: Date.now() - started };
}

async function startTwo(env: Record<string, string>): Promise<string[]> {
  database = await createTestDatabase();
  const common = {
    DATABASE_URL: database.connectionString,
    JWT_SECRET: JWT.secret,
    RATE_LIMIT_MUTATIONS_PER_MINUTE: String(PER_MINUTE),
    DB_POOL_SIZE: '4',
    SHUTDOWN_TIMEOUT_MS: '1000',
    RUN_PROJECTIONS: 'false',
    ...env,
  };
  processes = [await startServerProcess(common), await startServerProcess(common)];
  return processes.map((p) => p.url);
}

/** The burst of a minute's allowance, plus what refilled (one a second) while the mutations went out. */
function expectHeldAcrossProcesses(outcome: { accepted: number; limited: number; elapsedMs: number }): void {
  expect(outcome.accepted).toBeGreaterThanOrEqual(PER_MINUTE);
  expect(outcome.accepted).toBeLessThanOrEqual(PER_MINUTE + Math.ceil(outcome.elapsedMs / 1000));
  expect(outcome.accepted + outcome.limited).toBe(SENT);
}

describe('the mutation rate limit across server processes', () => {
  it('holds for one caller alternating between two processes when the buckets are in PostgreSQL', async () => {
    const outcome = await sendAlternately(await startTwo({}));
    console.log(`[rate limit, PostgreSQL] ${JSON.stringify(outcome)}`);
    expectHeldAcrossProcesses(outcome);
  });

  it('holds for one caller alternating between two processes when the buckets are in Redis (REDIS_URL)', async () => {
    redis = await startRedisServer();
    const outcome = await sendAlternately(await startTwo({ REDIS_URL: redis.url }));
    console.log(`[rate limit, Redis] ${JSON.stringify(outcome)}`);
    expectHeldAcrossProcesses(outcome);
  });
});
