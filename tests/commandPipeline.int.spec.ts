import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import type { Authentication } from '../src/auth/actor.js';
import { loadConfig } from '../src/config.js';
import { ConcurrencyConflictError, ValidationError } from '../src/domain/errors.js';
import { createLogger } from '../src/logger.js';
import { productAggregate, productStreamId } from '../src/products/productDecider.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import type { Services } from '../src/services.js';
import { loadAggregate } from '../src/commands/loadAggregate.js';
import { runCommand } from '../src/commands/pipeline.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { FEATURES } from '../src/features.js';
import { createServices } from '../src/services.js';

let testDb: TestDatabase;
let services: Services;
const staff: Authentication = { actor: { kind: 'user', sub: 'alice', role: 'staff' } };
const request = () => ({ auth: staff, services, requestId: 'req-1' });

beforeAll(async () => {
  testDb = await createTestDatabase();
  const db = testDb.connect();
  services = createServices({ config: loadConfig({ NODE_ENV: 'test' }), logger: createLogger('silent'), db, features: FEATURES });
});
afterAll(() => testDb.drop());

describe('the command pipeline on PostgreSQL', () => {
  it("records who, when and which command in every event's metadata", async () => {
    await runCommand(addProduct, { sku: 'META-1', name: 'Meta', priceCents: 100, initialStock: 1, commandId: 'cmd-meta' }, request());
    const [event] = await services.eventStore.readStream(productStreamId('META-1'));
    expect(event!.metadata).toMatchObject({ commandId: 'cmd-meta', causationId: 'cmd-meta', correlationId: 'req-1', actor: 'staff:alice' });
    expect(Date.parse(event!.metadata.occurredAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('validates input before loading anything, listing every bad field', async () => {
    const attempt = runCommand(
      addProduct,
      { sku: '', name: 'x'.repeat(201), priceCents: 0, initialStock: -1, expectedVersion: -1 },
      request(),
    );
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    const { fieldErrors } = (await attempt.catch((e: ValidationError) => e)) as ValidationError;
    expect([...new Set(fieldErrors.map((e) => e.path))].sort()).toEqual([
      'input.expectedVersion',
      'input.initialStock',
      'input.name',
      'input.priceCents',
      'input.sku',
    ]);
  });

  it('retries conflicting commands on fresh state when no expectedVersion is given, so none is lost', async () => {
    await runCommand(addProduct, { sku: 'RACE-1', name: 'Race', priceCents: 100, initialStock: 0 }, request());
    await Promise.all(Array.from({ length: 15 }, () => runCommand(restockProduct, { sku: 'RACE-1', quantity: 2 }, request())));
    const product = await loadAggregate(services.eventStore, productStreamId('RACE-1'), productAggregate);
    expect(product).toMatchObject({ version: 16, state: { onHand: 30 } });
  });

  it('answers a stale expectedVersion with the expected and actual versions, writing nothing', async () => {
    await runCommand(addProduct, { sku: 'STALE-1', name: 'Stale', priceCents: 100, initialStock: 0 }, request());
    await runCommand(restockProduct, { sku: 'STALE-1', quantity: 1 }, request());
    const attempt = runCommand(restockProduct, { sku: 'STALE-1', quantity: 1, expectedVersion: 1 }, request());
    await expect(attempt).rejects.toEqual(new ConcurrencyConflictError(1, 2));
    expect(await services.eventStore.readStream(productStreamId('STALE-1'))).toHaveLength(2);
  });

  it('snapshots a stream once it has grown 100 events, and loads from the snapshot to the same state', async () => {
    await runCommand(addProduct, { sku: 'LONG-1', name: 'Long', priceCents: 100, initialStock: 0 }, request());
    for (let i = 0; i < 104; i++) await runCommand(restockProduct, { sku: 'LONG-1', quantity: 1 }, request());
    const stored = await services.eventStore.loadStream(productStreamId('LONG-1'));
    expect(stored.snapshot?.version).toBe(100);
    expect(stored.events.map((e) => e.version)).toEqual([101, 102, 103, 104, 105]);
    const loaded = await loadAggregate(services.eventStore, productStreamId('LONG-1'), productAggregate);
    expect(loaded).toMatchObject({ version: 105, snapshotVersion: 100, state: { onHand: 104 } });
    const replayed = await loadAggregate(services.eventStore, productStreamId('LONG-1'), productAggregate, 50);
    expect(replayed).toMatchObject({ version: 50, snapshotVersion: 0, state: { onHand: 49 } });
  });

  it('ignores a snapshot written for another state shape', async () => {
    await runCommand(addProduct, { sku: 'SHAPE-1', name: 'Shape', priceCents: 100, initialStock: 7 }, request());
    await services.eventStore.saveSnapshot({
      streamId: productStreamId('SHAPE-1'),
      streamType: 'Product',
      version: 1,
      state: { garbage: true },
      schemaVersion: 99,
    });
    const loaded = await loadAggregate(services.eventStore, productStreamId('SHAPE-1'), productAggregate);
    expect(loaded).toMatchObject({ version: 1, snapshotVersion: 0, state: { onHand: 7, sku: 'SHAPE-1' } });
  });

  it('folds appends made by another process into the state this process keeps in memory', async () => {
    // Two event stores on one database, as two server processes: each keeps its own state cache.
    const other = { ...services, eventStore: new EventStore(testDb.connect()) };
    await runCommand(addProduct, { sku: 'TWO-1', name: 'Two', priceCents: 100, initialStock: 1 }, request());
    await runCommand(restockProduct, { sku: 'TWO-1', quantity: 10 }, request());
    await runCommand(restockProduct, { sku: 'TWO-1', quantity: 100 }, { ...request(), services: other });
    await runCommand(restockProduct, { sku: 'TWO-1', quantity: 1000 }, request());
    const fromLog = await loadAggregate(new EventStore(testDb.connect()), productStreamId('TWO-1'), productAggregate);
    expect(fromLog).toMatchObject({ version: 4, state: { onHand: 1111 } });
    expect((await loadAggregate(services.eventStore, productStreamId('TWO-1'), productAggregate)).state).toEqual(fromLog.state);
    // A stale expectedVersion is still caught against the log, not against the kept state.
    await expect(
      runCommand(restockProduct, { sku: 'TWO-1', quantity: 1, expectedVersion: 3 }, { ...request(), services: other }),
    ).rejects.toEqual(new ConcurrencyConflictError(3, 4));
  });

  it('keeps the state a rejected command saw, unchanged by what it tried', async () => {
    await runCommand(addProduct, { sku: 'KEEP-1', name: 'Keep', priceCents: 100, initialStock: 5 }, request());
    await expect(
      runCommand(addProduct, { sku: 'KEEP-1', name: 'Again', priceCents: 999, initialStock: 50 }, request()),
    ).rejects.toMatchObject({ code: 'SKU_TAKEN' });
    const fromLog = await loadAggregate(new EventStore(testDb.connect()), productStreamId('KEEP-1'), productAggregate);
    expect((await loadAggregate(services.eventStore, productStreamId('KEEP-1'), productAggregate)).state).toEqual(fromLog.state);
    expect(fromLog.state).toMatchObject({ name: 'Keep', priceCents: 100, onHand: 5 });
  });
});
