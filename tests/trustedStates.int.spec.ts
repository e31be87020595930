import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import type { Authentication } from '../src/auth/actor.js';
import { loadConfig } from '../src/config.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { FEATURES } from '../src/features.js';
import { createLogger } from '../src/logger.js';
import { productAggregate, productStreamId } from '../src/products/productDecider.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import { createServices, type Services } from '../src/services.js';
import { loadAggregate } from '../src/commands/loadAggregate.js';
import { runCommand } from '../src/commands/pipeline.js';

// A process that has been the only writer skips loading the streams whose states it keeps. These
// tests run two listening event stores on one database, as two server processes.

let testDb: TestDatabase;
let services: Services;
let other: EventStore;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const request = (s: Services = services) => ({ auth: staff, services: s, requestId: 'req-1' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  services = createServices({
    config: loadConfig({ NODE_ENV: 'test' }),
    logger: createLogger('silent'),
    db: testDb.connect(),
    features: FEATURES,
  });
  await services.eventStore.start();
  other = new EventStore(testDb.connect());
  await other.start();
});
afterAll(async () => {
  await services.eventStore.stop();
  await other.stop();
  await testDb.drop();
});

/** Resolves once `store` has heard of every commit up to the log's head. */
async function heardEverything(store: EventStore): Promise<void> {
  const head = await store.headPosition();
  await store.notifier.waitFor(head, 2_000);
  await new Promise((resolve) => setTimeout(resolve, 20)); // a notification's claim settles after its batch answers
}

const kept = (sku: string) => services.eventStore.states.get(productStreamId(sku), productAggregate.snapshotSchemaVersion);

describe('states kept by the only writer', () => {
  it('trusts the state of a stream it wrote while no other writer is heard of, and stops trusting it once one is', async () => {
    await runCommand(addProduct, { sku: 'TRUST-1', name: 'Trusted', priceCents: 100, initialStock: 1 }, request());
    await heardEverything(services.eventStore);
    expect(services.eventStore.trusts(kept('TRUST-1')?.trust)).toBe(true);

    // Another process appends to the stream; this one only reads it (as addItem reads a product).
    await runCommand(restockProduct, { sku: 'TRUST-1', quantity: 10 }, request({ ...services, eventStore: other }));
    await heardEverything(services.eventStore);
    expect(services.eventStore.trusts(kept('TRUST-1')?.trust)).toBe(false);
    expect((await loadAggregate(services.eventStore, productStreamId('TRUST-1'), productAggregate)).state).toMatchObject({ onHand: 11 });
  });

  it('decides again on the stream as the log has it when a trusted state turns out stale (a conflict), without losing the command', async () => {
    await runCommand(addProduct, { sku: 'TRUST-2', name: 'Stale', priceCents: 100, initialStock: 1 }, request());
    await runCommand(restockProduct, { sku: 'TRUST-2', quantity: 1 }, request());
    await heardEverything(services.eventStore);
    const current = kept('TRUST-2')!;
    // As if another writer's commit had not been heard of yet: the kept state is one version behind, yet trusted.
    await runCommand(restockProduct, { sku: 'TRUST-2', quantity: 100 }, request());
    services.eventStore.states.delete(productStreamId('TRUST-2'));
    services.eventStore.states.put(productStreamId('TRUST-2'), { ...current, trust: services.eventStore.trustMark() });
    await runCommand(restockProduct, { sku: 'TRUST-2', quantity: 1000 }, request());
    const fromLog = await loadAggregate(new EventStore(testDb.connect()), productStreamId('TRUST-2'), productAggregate);
    expect(fromLog).toMatchObject({ version: 4, state: { onHand: 1102 } });
  });

  it('does not hide events this process appended outside a command behind a kept state', async () => {
    await runCommand(addProduct, { sku: 'TRUST-3', name: 'Raw', priceCents: 100, initialStock: 1 }, request());
    await heardEverything(services.eventStore);
    // Straight to the store (as a script or a test writes), not through a command: nothing keeps the state it leads to.
    await services.eventStore.append({
      streams: [
        { streamId: productStreamId('TRUST-3'), streamType: 'Product', events: [{ type: 'ProductRestocked', data: { quantity: 5 } }] },
      ],
    });
    await heardEverything(services.eventStore);
    expect((await loadAggregate(services.eventStore, productStreamId('TRUST-3'), productAggregate)).state).toMatchObject({ onHand: 6 });
  });

  it('trusts nothing while it is not listening for commits', async () => {
    const unstarted = new EventStore(testDb.connect());
    expect(unstarted.trustMark()).toBeUndefined();
    expect(unstarted.trusts(0)).toBe(false);
  });
});
