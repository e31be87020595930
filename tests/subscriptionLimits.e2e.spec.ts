import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRawSocket } from './support/rawSocket.js';
import { startTestServer, type TestServer } from './support/testServer.js';

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

describe('tearing down a socket\'s subscriptions', () => {
  const COUNT = 20_000;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_SUBSCRIPTIONS: String(COUNT), WS_SUBSCRIBES_PER_SECOND: String(COUNT), WS_SUBSCRIBE_BURST: String(COUNT) });
  });
  afterAll(() => server?.stop());

  it('keeps /health answering quickly while 20,000 subscriptions of one dropped socket are torn down', async () => {
    const listeners = () => server.services.liveFeed.listenerCount('product');
    const socket = await openRawSocket(server.wsUrl);
    for (let i = 0; i < COUNT; i++) socket.subscribe(`s${i}`, INVENTORY);
    await expect.poll(listeners, { timeout: 30_000, interval: 100 }).toBe(COUNT);

    const dropped = socket.close();
    const slowest = await slowestHealthWhile(server.app.url, () => listeners() > 0);
    await dropped;
    expect(listeners()).toBe(0);
    expect(slowest).toBeLessThan(200);
  });
});
