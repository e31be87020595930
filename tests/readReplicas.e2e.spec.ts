import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { replicaName } from '../src/db/readReplica.js';
import type { Readiness } from '../src/observability/readiness.js';
import { clientAs, command, unique, type ApiClient } from './support/api.js';
import { primaryTestDatabase, startReplicatedPostgres, type ReplicatedPostgres } from './support/replicatedPostgres.js';
import type { TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { subscribe } from './support/wsClient.js';

// A real primary and a real streaming replica (Debian's PostgreSQL, pg_basebackup -R). The replica
// applies each commit 500 ms late (recovery_min_apply_delay), so its lag is visible and a read it
// serves right after a write is provably stale: what the routing must work around.
const APPLY_DELAY_MS = 500;
const MAX_LAG_MS = 2_000;

let pair: ReplicatedPostgres;
let server: TestServer;
let staff: ApiClient;
let replica: string;
let primary: TestDatabase | undefined;

beforeAll(async () => {
  pair = await startReplicatedPostgres({ recovery_min_apply_delay: `${APPLY_DELAY_MS}ms` });
  replica = replicaName(pair.replica.url);
  primary = primaryTestDatabase(pair);
  server = await startTestServer(
    { READ_DATABASE_URLS: pair.replica.url, READ_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) },
    { database: primary },
  );
  staff = await clientAs(server, 'staff', 'replica-tester');
});

afterAll(async () => {
  await server?.stop();
  await primary?.drop();
  await pair?.destroy();
});

async function ready(): Promise<Readiness> {
  return (await fetch(`${server.app.url.replace(/\/graphql$/, '')}/ready`)).json() as Promise<Readiness>;
}

/** `ordersource_read_database_reads_total` by database and reader, from `/metrics`. */
async function reads(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.app.url.replace(/\/graphql$/, '')}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, database, reader, value] of text.matchAll(
    /^ordersource_read_database_reads_total\{database="([^"]+)",reader="([^"]+)"\} (\S+)$/gm,
  )) {
    counts[`${database === replica ? 'replica' : database}/${reader}`] = Number(value);
  }
  return counts;
}

const replicaState = async () => (await ready()).replicas?.find((r) => r.name === replica);

const PRODUCT = 'query ($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { sku onHand } }';

async function addProduct(stock = 5): Promise<{ sku: string; position: string }> {
  const sku = unique('REPL');
  const result = await command(staff, 'addProduct', { sku, name: 'Replicated', priceCents: 100, initialStock: stock });
  expect(result.__typename).toBe('AddProductSuccess');
  return { sku, position: result.position };
}

describe('read replicas', () => {
  it('serves queries from the replica, stale right after a write, while consistentWith always returns the write', async () => {
    await expect.poll(async () => (await replicaState())?.state === 'up', { timeout: 10_000, message: 'the replica to be up' }).toBe(true);
    const before = await reads();

    // The replica's replay paused while the write is read: stale by construction, not by a race
    // with its 500 ms apply delay.
    const replay = new pg.Client(pair.replica.url);
    await replay.connect();
    let sku: string;
    let position: string;
    try {
      await replay.query('SELECT pg_wal_replay_pause()');
      ({ sku, position } = await addProduct());
      const plain = await staff.run(PRODUCT, { sku });
      expect(plain.product).toBeNull(); // the replica has not applied the write yet
    } finally {
      await replay.query('SELECT pg_wal_replay_resume()');
      await replay.end();
    }

    const consistent = await staff.run(PRODUCT, { sku, p: position });
    expect(consistent.product).toEqual({ sku, onHand: 5 });
    const after = await reads();
    // Both reads were the replica's: the consistent one waited for it to replay the write.
    expect((after['replica/query'] ?? 0) - (before['replica/query'] ?? 0)).toBe(2);
    expect(after['primary/query'] ?? 0).toBe(before['primary/query'] ?? 0);

    // Every consistent read after a write sees it, one after another.
    for (let i = 0; i < 5; i++) {
      const next = await addProduct(i + 1);
      const read = await staff.run(PRODUCT, { sku: next.sku, p: next.position });
      expect(read.product).toEqual({ sku: next.sku, onHand: i + 1 });
    }
  });

  it('never pushes a change read from a replica that has not replayed it', async () => {
    const { sku, position } = await command(staff, 'addProduct', {
      sku: unique('LIVE'),
      name: 'Live',
      priceCents: 100,
      initialStock: 1,
    }).then((r) => ({ sku: r.product.sku as string, position: r.position as string }));
    await staff.run(PRODUCT, { sku, p: position });
    const subscription = subscribe<{ sku: string; onHand: number }>(
      server.wsUrl,
      staff.token,
      'subscription ($sku: String) { inventoryChanged(sku: $sku) { sku onHand } }',
      { sku },
    );
    try {
      await subscription.waitFor(1);
      const before = await reads();
      // The replica receives nothing more until the end of the test, so it cannot reach the change
      // however slow this machine is.
      pair.replica.signal('SIGSTOP', /walreceiver/);
      try {
        const restocked = await command(staff, 'restockProduct', { sku, quantity: 4 });
        expect(restocked.__typename).toBe('RestockProductSuccess');
        const [, pushed] = await subscription.waitFor(2, 5_000);
        // The push carries the change: the batch was read from the primary, not from the replica
        // that was still behind.
        expect(pushed).toEqual({ sku, onHand: 5 });
        const after = await reads();
        expect((after['primary/live'] ?? 0) - (before['primary/live'] ?? 0)).toBeGreaterThanOrEqual(1);
        expect(after['replica/live'] ?? 0).toBe(before['replica/live'] ?? 0);
      } finally {
        pair.replica.signal('SIGCONT', /walreceiver/);
      }
    } finally {
      await subscription.close();
    }
  });

  it('skips a replica whose replay stops once it lags past READ_REPLICA_MAX_LAG_MS, and uses it again when it catches up', async () => {
    pair.replica.signal('SIGSTOP', /walreceiver/);
    try {
      const { sku } = await addProduct(3);
      const lagging = await vi.waitFor(
        async () => {
          const state = await replicaState();
          expect(state?.state, 'the replica to be reported lagging').toBe('lagging');
          return state!;
        },
        { timeout: MAX_LAG_MS + 3_000 },
      );
      expect(lagging.lagMs).toBeGreaterThan(MAX_LAG_MS);
      expect((await ready()).ready).toBe(true); // the primary serves: the server stays in rotation
      const before = await reads();
      // A plain read now comes from the primary, so it sees the write the replica never got.
      expect((await staff.run(PRODUCT, { sku })).product).toEqual({ sku, onHand: 3 });
      expect((await reads())['primary/query']).toBe((before['primary/query'] ?? 0) + 1);
    } finally {
      pair.replica.signal('SIGCONT', /walreceiver/);
    }
    await expect
      .poll(async () => (await replicaState())?.state === 'up', { timeout: 10_000, message: 'the replica to be up again' })
      .toBe(true);
  });

  it('falls back to the primary once the replica stops, and /ready shows it down', async () => {
    const { sku } = await addProduct(2);
    await staff.run(PRODUCT, { sku, p: (await addProduct(1)).position });
    await pair.replica.stop();
    try {
      await expect
        .poll(
          async () => {
            const before = await reads();
            const read = await server.graphql<{ product: unknown }>(PRODUCT, { sku }, { authorization: `Bearer ${staff.token}` });
            const after = await reads();
            return !read.errors && (after['primary/query'] ?? 0) > (before['primary/query'] ?? 0);
          },
          { timeout: 20_000, message: 'reads to go to the primary' },
        )
        .toBe(true);
      const state = await replicaState();
      expect(state?.state).toBe('down');
      expect(state?.error).toBeTruthy();
      // Consistent reads keep working on the primary meanwhile.
      const next = await addProduct(7);
      expect((await staff.run(PRODUCT, { sku: next.sku, p: next.position })).product).toEqual({ sku: next.sku, onHand: 7 });
    } finally {
      await pair.replica.start();
    }
    await expect
      .poll(async () => (await replicaState())?.state === 'up', { timeout: 15_000, message: 'the replica to be up again' })
      .toBe(true);
  });
});
