import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerProcess } from '../support/serverProcess.js';
import { cleanUp, report, startFaultServer } from './support/faultServer.js';
import { startOwnedPostgres, type OwnedPostgres } from './support/ownedPostgres.js';
import { checkAcknowledged } from './support/verify.js';
import { prepareLoad, staffToken, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let owned: OwnedPostgres | undefined;
afterEach(async () => {
  await cleanUp(server);
  await owned?.destroy();
  [server, owned] = [undefined, undefined];
});

/** Opens a graphql-ws connection with a live orderFeed subscription; resolves with its close code. */
async function feedSocket(wsUrl: string, token: string): Promise<{ closed: Promise<number> }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { orderFeed { orderId position } }' } }));
  return { closed };
}

describe('graceful shutdown under a write load', () => {
  it('completes every mutation in flight at SIGTERM, closes every WebSocket with 1001 and exits 0', async () => {
    owned = await startOwnedPostgres();
    server = await startFaultServer({ DATABASE_URL: owned.url });
    const customerId = await prepareLoad(server.url);
    const token = await staffToken();
    const sockets = await Promise.all(Array.from({ length: 5 }, () => feedSocket(server!.url.replace('http', 'ws'), token)));
    const load = startWriteLoad(() => server!.url, customerId, 6);
    const loadStarted = Date.now();
    while (load.acknowledgedCount < 100 && Date.now() - loadStarted < 20_000) await new Promise((r) => setTimeout(r, 10));

    // Hold the log so that every client's command is still running when SIGTERM arrives.
    const blocker = new pg.Client({ connectionString: owned.url });
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    await new Promise((r) => setTimeout(r, 500));
    const inFlight = load.inFlightCommandIds();
    server.child.kill('SIGTERM');
    const codes = await Promise.all(sockets.map((s) => s.closed));
    await new Promise((r) => setTimeout(r, 300));
    await blocker.query('COMMIT');
    await blocker.end();

    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopped cleanly');
    const done = await load.stop();
    expect(codes).toEqual(sockets.map(() => 1001));
    expect(done.errors).toEqual({});
    const acknowledged = new Set(done.acknowledged.map((a) => a.commandId));
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.filter((id) => !acknowledged.has(id))).toEqual([]);
    const durability = await checkAcknowledged(owned.url, done.acknowledged);
    expect(durability.lost).toEqual([]);
    report('graceful shutdown under load', {
      acknowledged: done.acknowledged.length,
      inFlightAtSigterm: inFlight.length,
      completedOfThose: inFlight.filter((id) => acknowledged.has(id)).length,
      refusedAfterwards: done.unanswered,
      webSocketCloseCodes: codes,
      found: durability.found,
    });
  });
});
