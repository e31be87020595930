import net from 'node:net';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, unique, type ApiClient } from '../../tests/support/api.js';
import { startTestServer, type TestServer } from '../../tests/support/testServer.js';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import { connectDatabase, isDatabaseUnavailable, type Database } from '../db/database.js';
import { EventStore } from './eventStore.js';

/**
 * A TCP proxy in front of PostgreSQL that, once armed, lets the next append statement through to
 * the server and then cuts the client's side before the answer comes back: the statement commits,
 * the client only sees its connection drop. Armed with `{ deliver: false }`, it cuts the client
 * without passing the statement on: nothing commits, and the client sees the same drop. With
 * `skip: n`, the n append statements before it go through untouched.
 */
async function startCuttingProxy(
  target: URL,
): Promise<{ url: string; armNextAppend(options?: { deliver?: boolean; skip?: number }): void; close(): Promise<void> }> {
  let armed: { deliver: boolean; skip: number } | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cut = false;
    client.on('data', (chunk) => {
      const append = armed !== undefined && chunk.includes('ordersource_append');
      const cutting = append && armed!.skip-- === 0;
      if (!cutting || armed!.deliver) upstream.write(chunk);
      if (cutting) {
        armed = undefined;
        cut = true;
        client.destroy();
        // The server side stays open a moment, so PostgreSQL finishes (and commits) the statement.
        setTimeout(() => upstream.destroy(), 500);
      }
    });
    upstream.on('data', (chunk) => (cut ? undefined : client.write(chunk)));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => (cut ? undefined : upstream.destroy()));
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    armNextAppend: ({ deliver = true, skip = 0 } = {}) => (armed = { deliver, skip }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let testDb: TestDatabase;
let proxy: Awaited<ReturnType<typeof startCuttingProxy>>;
let db: Database;
let store: EventStore;

beforeAll(async () => {
  testDb = await createTestDatabase();
  proxy = await startCuttingProxy(new URL(testDb.connectionString));
  db = connectDatabase(proxy.url, { poolSize: 4, heartbeat: false });
  store = new EventStore(db);
});
afterAll(async () => {
  await db.close();
  await proxy.close();
  await testDb.drop();
});

/** How many events of stream `streamId` (or, with `sku`, about that product) are stored, asked directly. */
async function eventsOf(streamId: string, by: 'stream' | 'sku' = 'stream'): Promise<number> {
  const direct = new pg.Client({ connectionString: testDb.connectionString });
  await direct.connect();
  try {
    const where = by === 'stream' ? 'stream_id = $1' : "data->>'sku' = $1";
    const { rows } = await direct.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE ${where}`, [streamId]);
    return rows[0]!.n;
  } finally {
    await direct.end();
  }
}

const appendOf = (streamId: string, ids: { commandId?: string; metadataCommandId?: string } = {}) => ({
  streams: [{ streamId, streamType: 'Test', expectedVersion: 0, events: [{ type: 'Happened', data: { streamId } }] }],
  metadata: ids.metadataCommandId ? { commandId: ids.metadataCommandId } : undefined,
  idempotency: ids.commandId
    ? { caller: 'staff:ambiguous', commandId: ids.commandId, inputHash: 'hash', result: { aggregateId: streamId } }
    : undefined,
});

describe('an append whose connection drops after it was sent', () => {
  it('answers success when it committed, found again by its command id, and is written once', async () => {
    proxy.armNextAppend();
    const outcome = await store.append(appendOf('ambiguous-1', { commandId: 'ambiguous-cmd-1' }));
    expect(outcome.events).toHaveLength(1);
    expect(outcome.result).toEqual({ aggregateId: 'ambiguous-1' });
    expect(await eventsOf('ambiguous-1')).toBe(1);
  });

  it('answers success without an idempotency record when it committed, found by the command id in its metadata, and is written once', async () => {
    proxy.armNextAppend();
    const outcome = await store.append(appendOf('ambiguous-2', { metadataCommandId: randomUUID() }));
    expect(outcome.duplicate).toBe(false);
    expect(outcome.streams).toEqual([{ streamId: 'ambiguous-2', version: 1 }]);
    expect(outcome.events).toEqual([{ streamId: 'ambiguous-2', version: 1, type: 'Happened', position: outcome.lastPosition }]);
    await new Promise((r) => setTimeout(r, 600)); // the proxy's server side has closed: nothing more can commit
    expect(await eventsOf('ambiguous-2')).toBe(1);
  });

  it('commits once and answers success when the statement never reached the server: not found by its command id, it is sent again', async () => {
    proxy.armNextAppend({ deliver: false });
    const outcome = await store.append(appendOf('ambiguous-3', { metadataCommandId: randomUUID() }));
    expect(outcome.events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(await eventsOf('ambiguous-3')).toBe(1);
  });

  it('commits once and answers success in a group-committed batch, each append found by its own command id', async () => {
    // Two appends go alone (two batches in flight at most); the three arriving meanwhile travel
    // together in the third statement, the one cut.
    const streams = ['ambiguous-4a', 'ambiguous-4b', 'ambiguous-4c', 'ambiguous-4d', 'ambiguous-4e'];
    proxy.armNextAppend({ skip: 2 });
    const outcomes = await Promise.all(streams.map((streamId) => store.append(appendOf(streamId, { metadataCommandId: randomUUID() }))));
    expect(outcomes.map((o) => o.events.length)).toEqual([1, 1, 1, 1, 1]);
    await new Promise((r) => setTimeout(r, 600));
    for (const streamId of streams) expect(await eventsOf(streamId)).toBe(1);
  });

  it('still answers DATABASE_UNAVAILABLE with no command id at all, since sending it again could write it twice', async () => {
    proxy.armNextAppend();
    const failed = await store.append(appendOf('ambiguous-5')).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failed)).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(await eventsOf('ambiguous-5')).toBe(1); // it did commit: exactly the ambiguity a command id resolves
  });
});

describe('a mutation sent without a commandId whose connection drops after its append was sent', () => {
  let server: TestServer;
  let staff: ApiClient;
  beforeAll(async () => {
    // The server's every connection goes through the proxy, as to a database across a network.
    server = await startTestServer(
      {},
      {
        database: {
          ...testDb,
          connectionString: proxy.url,
          connect: (options) => connectDatabase(proxy.url, { poolSize: 10, ...options }),
        },
      },
    );
    staff = await clientAs(server, 'staff', 'ambiguous-staff');
  });
  afterAll(() => server.stop());

  it('answers success (the server resolves it by its own command id) and its events exist exactly once', async () => {
    const sku = unique('ambiguous-sku');
    proxy.armNextAppend();
    const result = await command(staff, 'addProduct', { sku, name: 'Ambiguous', priceCents: 100, initialStock: 3 });
    expect(result.__typename).toBe('AddProductSuccess');
    expect(result.product).toMatchObject({ sku, onHand: 3 });
    await new Promise((r) => setTimeout(r, 600));
    expect(await eventsOf(sku, 'sku')).toBe(1);
  });

  it('is a new command when repeated: a server-made command id never makes a repeat answer as the first run', async () => {
    const sku = unique('ambiguous-sku');
    const input = { sku, name: 'Twice', priceCents: 100, initialStock: 1 };
    expect((await command(staff, 'addProduct', input)).__typename).toBe('AddProductSuccess');
    const again = await command(staff, 'addProduct', input);
    expect(again.__typename).not.toBe('AddProductSuccess');
  });
});
