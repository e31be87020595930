import { afterEach, describe, expect, it } from 'vitest';
import { openWorld, type World } from './fixtures/projectionWorld.js';
import { createLogger } from '../src/logger.js';
import { inventoryLiveSource } from '../src/products/inventoryChanges.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import { LiveFeed } from '../src/live/liveFeed.js';
import type { ProjectionProgressSource } from '../src/live/liveSource.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A progress channel that never announces anything (as if every NOTIFY were slow to arrive). */
const silent: ProjectionProgressSource = { onProjectionProgress: () => () => {}, onReconnect: () => () => {} };

describe('the live feed', () => {
  it("pushes a batch committed by this process's runner as it commits, without waiting for its announcement", async () => {
    world = await openWorld();
    await world.run(addProduct, { sku: 'LF-1', name: 'Lamp', priceCents: 100, initialStock: 5 });
    const readSide = await world.readSide();
    const feed = new LiveFeed(world.db, silent, createLogger('silent'), [inventoryLiveSource]);
    feed.followLocal(readSide);
    readSide.start();
    await readSide.waitFor(['inventory'], await world.head(), 10_000);
    await feed.start();
    const changes: unknown[] = [];
    feed.on('product:LF-1', (change) => changes.push(change));
    try {
      await world.run(restockProduct, { sku: 'LF-1', quantity: 2 });
      await expect.poll(() => changes.length > 0, { timeout: 5_000, message: 'the pushed change' }).toBe(true);
      expect(changes).toEqual([expect.objectContaining({ sku: 'LF-1', product: expect.objectContaining({ onHand: 7 }) })]);
    } finally {
      feed.stop();
    }
  });
});
