import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PRIMARY, type ReadSource } from '../src/db/readReplica.js';
import { clientAs, command, unique, type ApiClient } from './support/api.js';
import { primaryTestDatabase, startReplicatedPostgres, type ReplicatedPostgres } from './support/replicatedPostgres.js';
import type { TestDatabase } from './support/testDatabase.js';
import { startTestServer, type TestServer } from './support/testServer.js';

// A real primary and streaming replica replaying as fast as they can, with the primary's WAL writer
// slowed to its 10 s maximum: the projections' batches commit without waiting for their WAL flush,
// and a standby receives only flushed WAL, so a replica could only catch up with a batch when
// something else flushes it. A consistentWith read that still answers from the replica within
// milliseconds proves the wait has the WAL sent and follows the replica's replay, not a timer.
const WAL_WRITER_DELAY = '10s';

let pair: ReplicatedPostgres;
let server: TestServer;
let staff: ApiClient;
let primary: TestDatabase | undefined;
const served: ReadSource[] = [];

beforeAll(async () => {
  pair = await startReplicatedPostgres();
  const admin = new pg.Client(pair.primary.url);
  await admin.connect();
  try {
    await admin.query(`ALTER SYSTEM SET wal_writer_delay = '${WAL_WRITER_DELAY}'`);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  primary = primaryTestDatabase(pair);
  server = await startTestServer({ READ_DATABASE_URLS: pair.replica.url }, { database: primary });
  server.services.replicas.onRead((source, reader) => {
    if (reader === 'query') served.push(source);
  });
  staff = await clientAs(server, 'staff', 'catch-up-tester');
  await vi.waitFor(() => expect(server.services.replicas.replicas[0]!.healthy, 'the replica to be up').toBe(true), { timeout: 10_000 });
});

afterAll(async () => {
  await server?.stop();
  await primary?.drop();
  await pair?.destroy();
});

const PRODUCT = 'query ($sku: String!, $p: String) { product(sku: $sku, consistentWith: $p) { sku onHand } }';

async function addProduct(stock: number): Promise<{ sku: string; position: string }> {
  const sku = unique('CATCH');
  const result = await command(staff, 'addProduct', { sku, name: 'Caught up', priceCents: 100, initialStock: stock });
  expect(result.__typename).toBe('AddProductSuccess');
  return { sku, position: result.position };
}

describe('consistentWith on a replica', () => {
  it('answers from the replica once it has replayed, having the WAL sent instead of waiting for the primary to flush it on its own', async () => {
    const flushes = server.services.replicas.walFlushes;
    for (let i = 0; i < 9; i++) {
      const { sku, position } = await addProduct(i + 1);
      served.length = 0;
      const read = await staff.run(PRODUCT, { sku, p: position });
      expect(read.product).toEqual({ sku, onHand: i + 1 });
      // Without the WAL sent at once, the replica would not have the batch for seconds and the
      // primary would serve the read after the 1 s it gives a replica to follow.
      expect(served).toEqual([server.services.replicas.replicas[0]!.name]);
    }
    expect(served).not.toContain(PRIMARY);
    // The waits had the primary send its WAL (its own writer waits 10 s, past the 1 s fallback).
    expect(server.services.replicas.walFlushes).toBeGreaterThan(flushes);
  });

  it('costs nothing while nobody waits: no WAL flush and only the slow poll of the replicas', async () => {
    const { sku, position } = await addProduct(1);
    await staff.run(PRODUCT, { sku, p: position });
    const replicas = server.services.replicas;
    // A read whose position the replica already has, and a plain read, wait for nothing.
    await staff.run(PRODUCT, { sku, p: position });
    await staff.run(PRODUCT, { sku });
    const flushes = replicas.walFlushes;
    const polls = replicas.polls;
    const idleMs = 2_000;
    await new Promise((r) => setTimeout(r, idleMs));
    expect(replicas.walFlushes).toBe(flushes);
    // Every 500 ms, plus one in flight at either end.
    expect(replicas.polls - polls).toBeLessThanOrEqual(idleMs / 500 + 2);
  });
});
