import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import { connectDatabase, isDatabaseUnavailable, type Database } from '../db/database.js';
import { EventStore } from './eventStore.js';

/**
 * A TCP proxy in front of PostgreSQL that, once armed, lets the next append statement through to
 * the server and then cuts the client's side before the answer comes back: the statement commits,
 * the client only sees its connection drop.
 */
async function startCuttingProxy(target: URL): Promise<{ url: string; armNextAppend(): void; close(): Promise<void> }> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cut = false;
    client.on('data', (chunk) => {
      upstream.write(chunk);
      if (armed && chunk.includes('ordersource_append')) {
        armed = false;
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
    armNextAppend: () => (armed = true),
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

async function eventsOf(streamId: string): Promise<number> {
  const direct = new pg.Client({ connectionString: testDb.connectionString });
  await direct.connect();
  try {
    const { rows } = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [streamId]);
    return rows[0]!.n;
  } finally {
    await direct.end();
  }
}

const appendOf = (streamId: string, commandId?: string) => ({
  streams: [{ streamId, streamType: 'Test', expectedVersion: 0, events: [{ type: 'Happened', data: { streamId } }] }],
  idempotency: commandId ? { caller: 'staff:ambiguous', commandId, inputHash: 'hash', result: { aggregateId: streamId } } : undefined,
});

describe('an append whose connection drops after it was sent', () => {
  it('answers success when it committed, found again by its command id, and is written once', async () => {
    proxy.armNextAppend();
    const outcome = await store.append(appendOf('ambiguous-1', 'ambiguous-cmd-1'));
    expect(outcome.events).toHaveLength(1);
    expect(outcome.result).toEqual({ aggregateId: 'ambiguous-1' });
    expect(await eventsOf('ambiguous-1')).toBe(1);
  });

  it('still answers DATABASE_UNAVAILABLE without a command id, since sending it again could write it twice', async () => {
    proxy.armNextAppend();
    const failed = await store.append(appendOf('ambiguous-2')).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(failed)).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(await eventsOf('ambiguous-2')).toBe(1); // it did commit: exactly the ambiguity a command id resolves
  });
});
