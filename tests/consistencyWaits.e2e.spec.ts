import { beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { codesOf } from './support/hardening.js';
import { type TestServer, useTestServer } from './support/testServer.js';

const PER_CLIENT = 50;
const server = useTestServer({
  CONSISTENCY_TIMEOUT_MS: '1500',
  CONSISTENCY_MAX_WAITS_PER_CLIENT: String(PER_CLIENT),
  CONSISTENCY_MAX_WAITS_PER_REQUEST: '2',
});
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
  // Warm the server's code paths, so that the first measurement is not of the JIT.
  await Promise.all(
    Array.from({ length: 10 }, () => server.graphql(aliasedWaits('warm-up', '999999999'), {}, { authorization: `Bearer ${staff.token}` })),
  );
});

/** One operation holding 30 aliases of the same `order` read, all waiting on `position`. */
function aliasedWaits(orderId: string, position: string): string {
  const fields = Array.from({ length: 30 }, (_, i) => `a${i}: order(id: "${orderId}", consistentWith: "${position}") { id }`);
  return `{ ${fields.join(' ')} }`;
}

/**
 * An honest client's order reads, one after the other while `attack` is in flight (and at least
 * ten): how many were answered before the attack was over (a starved reader gets none in), and
 * their 95th percentile in ms, for the log only (a loaded machine makes any bound on it flaky).
 */
async function honestReadsDuring(
  attack: Promise<unknown>,
  read: () => Promise<unknown>,
): Promise<{ during: number; p95: number; samples: number }> {
  let over = false;
  void attack.finally(() => (over = true));
  const times: number[] = [];
  let during = 0;
  while (!over || times.length < 10) {
    const started = performance.now();
    await read();
    times.push(performance.now() - started);
    if (!over) during++;
  }
  times.sort((a, b) => a - b);
  return { during, p95: times[Math.floor(times.length * 0.95)]!, samples: times.length };
}

/** Pool connections checked out and callers queueing for one, sampled until `attack` settles. */
async function poolUseDuring(attack: Promise<unknown>): Promise<{ maxBusy: number; maxQueued: number; maxWaits: number }> {
  const { pool } = server.services.db;
  let over = false;
  void attack.finally(() => (over = true));
  let maxBusy = 0;
  let maxQueued = 0;
  let maxWaits = 0;
  while (!over) {
    maxWaits = Math.max(maxWaits, server.services.readSide.consistency.waiting);
    maxBusy = Math.max(maxBusy, pool.totalCount - pool.idleCount);
    maxQueued = Math.max(maxQueued, pool.waitingCount);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { maxBusy, maxQueued, maxWaits };
}

async function ownOrder() {
  const registered = await command(staff, 'registerCustomer', { name: 'Honest', email: `${unique('h')}@example.com` });
  const client = await clientAs(server, 'customer', registered.customer.id);
  const created = await command(client, 'createOrder', { customerId: registered.customer.id, orderId: newOrderId() });
  return { client, orderId: created.order.id as string, position: created.position as string };
}

describe('consistentWith under attack', () => {
  it("answers aliased waits on a position past the log's head at once with VALIDATION_FAILED, and an honest reader stays fast", async () => {
    const honest = await ownOrder();
    await honest.client.run(`query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }`, {
      id: honest.orderId,
      p: honest.position,
    });
    const attacker = await clientAs(server, 'customer', unique('mallory'));
    const headers = { authorization: `Bearer ${attacker.token}` };

    // 10 connections sending the aliased read back to back for two seconds.
    const answers: Awaited<ReturnType<TestServer['graphql']>>[] = [];
    const until = Date.now() + 2_000;
    const attack = Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < until) answers.push(await server.graphql(aliasedWaits(honest.orderId, '999999999'), {}, headers));
      }),
    );
    const [, latency, pool] = await Promise.all([
      attack,
      honestReadsDuring(attack, () => honest.client.run(`query($id: ID!) { order(id: $id) { id status } }`, { id: honest.orderId })),
      poolUseDuring(attack),
    ]);
    console.info(
      `past-head attack: ${answers.length} requests; honest reads during it ${latency.during}, p95 ${latency.p95.toFixed(1)} ms over ${latency.samples} reads; pool busy max ${pool.maxBusy}, queued max ${pool.maxQueued}`,
    );

    // Had any of them waited, it would have answered CONSISTENCY_TIMEOUT after 1.5 s.
    for (const answer of answers) expect(new Set(codesOf(answer))).toEqual(new Set(['VALIDATION_FAILED']));
    // The honest reader is served between the attacker's requests, never queued behind them.
    expect(latency.during).toBeGreaterThan(0);
    expect(pool.maxQueued).toBe(0);
  });

  it('holds no pool connection for a wait, caps the waits of one caller and of one request, and an honest reader stays fast', async () => {
    const honest = await ownOrder();
    const attacker = await clientAs(server, 'customer', unique('mallory'));
    const headers = { authorization: `Bearer ${attacker.token}` };
    // A real position the read side has not reached: the projections are stopped past it.
    await server.services.readSide.stop();
    try {
      const pending = await command(honest.client, 'addItem', { orderId: honest.orderId, sku: 'NO-SUCH', quantity: 1 }).catch(
        () => undefined,
      );
      const later = pending?.position ?? (await ownOrder()).position;

      const attack = Promise.all(Array.from({ length: 200 }, () => server.graphql(aliasedWaits(honest.orderId, later), {}, headers)));
      const [answers, latency, pool] = await Promise.all([
        attack,
        honestReadsDuring(attack, () => honest.client.run(`query($id: ID!) { order(id: $id) { id status } }`, { id: honest.orderId })),
        poolUseDuring(attack),
        (async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          const activity = await server.services.db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'`,
          );
          expect(activity.rows[0]!.n).toBeLessThan(5);
        })(),
      ]);
      console.info(
        `unreached-position attack: waits held max ${pool.maxWaits}; honest reads during it ${latency.during}, p95 ${latency.p95.toFixed(1)} ms over ${latency.samples} reads; pool busy max ${pool.maxBusy}, queued max ${pool.maxQueued}`,
      );

      const codes = answers.map((answer) => [...new Set(codesOf(answer))]);
      // Aliases of one position are one wait, and the caller holds at most PER_CLIENT of them at once:
      // the rest are refused at once (a wait that timed out frees its place for a later request).
      expect(pool.maxWaits).toBeLessThanOrEqual(PER_CLIENT);
      const timedOut = codes.filter((c) => c.length === 1 && c[0] === 'CONSISTENCY_TIMEOUT').length;
      const refused = codes.filter((c) => c.length === 1 && c[0] === 'TOO_MANY_CONSISTENCY_WAITS').length;
      expect(timedOut).toBeGreaterThanOrEqual(PER_CLIENT);
      // How many are refused rather than timed out depends on how fast the 200 arrive (a wait
      // that timed out frees its place): on a loaded machine fewer overlap.
      expect(refused).toBeGreaterThan(0);
      expect(timedOut + refused).toBe(200);
      // While 200 requests wait, the honest reader is answered (its reads take no turn behind them).
      expect(latency.during).toBeGreaterThan(0);
      expect(pool.maxQueued).toBe(0);
      expect(pool.maxBusy).toBeLessThan(5);

      // Another caller is not refused for the attacker's waits; one request may hold two distinct waits, not three.
      const threeWaits = await server.graphql(
        `{ a: order(id: "${honest.orderId}", consistentWith: "${later}") { id } b: orders(first: 1, consistentWith: "${BigInt(later) - 1n}") { totalCount } c: order(id: "${honest.orderId}", consistentWith: "${BigInt(later) - 2n}") { id } }`,
        {},
        { authorization: `Bearer ${honest.client.token}` },
      );
      const overRequestCap = (threeWaits.errors ?? []).filter((e) => e.extensions?.code === 'TOO_MANY_CONSISTENCY_WAITS');
      expect(overRequestCap).toHaveLength(1);
      expect(overRequestCap[0]!.extensions).toMatchObject({ scope: 'request', max: 2 });
    } finally {
      server.services.readSide.start();
    }
  });
});
