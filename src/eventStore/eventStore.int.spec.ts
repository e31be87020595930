import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError } from './errors.js';
import { EventStore } from './eventStore.js';

let testDb: TestDatabase;
let db: Database;
let store: EventStore;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect();
  store = new EventStore(db);
  await store.start();
});
afterAll(async () => {
  await store.stop();
  await testDb.drop();
});

const event = (type: string, data: Record<string, unknown> = {}) => ({ type, data });
const newId = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2)}`;

describe('append and read', () => {
  it('appends events to a new stream and reads them back in version order with their metadata', async () => {
    const streamId = newId('order');
    const outcome = await store.append({
      streams: [
        { streamId, streamType: 'Order', expectedVersion: 0, events: [event('OrderCreated', { n: 1 }), event('ItemAdded', { n: 2 })] },
      ],
      metadata: { commandId: 'c1', correlationId: 'corr', causationId: 'cause', actor: 'staff:alice' },
    });
    expect(outcome.duplicate).toBe(false);
    expect(outcome.streams).toEqual([{ streamId, version: 2 }]);
    expect(outcome.events.map((e) => [e.type, e.version])).toEqual([
      ['OrderCreated', 1],
      ['ItemAdded', 2],
    ]);
    expect(BigInt(outcome.events[1]!.position)).toBeGreaterThan(BigInt(outcome.events[0]!.position));
    expect(outcome.lastPosition).toBe(outcome.events[1]!.position);

    const events = await store.readStream(streamId);
    expect(events.map((e) => [e.version, e.type, e.data])).toEqual([
      [1, 'OrderCreated', { n: 1 }],
      [2, 'ItemAdded', { n: 2 }],
    ]);
    expect(events[0]!.streamType).toBe('Order');
    expect(events[0]!.schemaVersion).toBe(1);
    expect(events[0]!.metadata).toEqual({ commandId: 'c1', correlationId: 'corr', causationId: 'cause', actor: 'staff:alice' });
    expect(events[0]!.recordedAt).toBeInstanceOf(Date);
    expect(await store.readStream(streamId, 1)).toHaveLength(1);
  });

  it('reads events for folds with only the clock of their metadata, and their recording time when they have no clock', async () => {
    const streamId = newId('order');
    const clocked = await store.append({
      streams: [{ streamId, streamType: 'Order', expectedVersion: 0, events: [event('OrderCreated', { n: 1 })] }],
      metadata: { commandId: 'c2', actor: 'staff:alice', occurredAt: '2026-01-02T03:04:05.678Z' },
    });
    await store.append({
      streams: [{ streamId, streamType: 'Order', expectedVersion: 1, events: [event('ItemAdded', { n: 2 })] }],
      metadata: { actor: 'staff:alice' },
    });
    const after = BigInt(clocked.events[0]!.position) - 1n;
    const whole = await store.readAll(after, 2);
    const lean = await store.readAll(after, 2, { metadata: 'occurredAt' });
    expect(lean.map((e) => [e.position, e.streamId, e.streamType, e.version, e.type, e.schemaVersion, e.data])).toEqual(
      whole.map((e) => [e.position, e.streamId, e.streamType, e.version, e.type, e.schemaVersion, e.data]),
    );
    expect(lean.map((e) => e.metadata)).toEqual([{ occurredAt: '2026-01-02T03:04:05.678Z' }, {}]);
    expect(lean[1]!.recordedAt).toEqual(whole[1]!.recordedAt);
  });

  it('appends after the current version when no expected version is given', async () => {
    const streamId = newId('order');
    await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A')] }] });
    const outcome = await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('B')] }] });
    expect(outcome.streams).toEqual([{ streamId, version: 2 }]);
  });

  it('rejects a stale expected version with the expected and actual versions and writes nothing', async () => {
    const streamId = newId('order');
    await store.append({ streams: [{ streamId, streamType: 'Order', expectedVersion: 0, events: [event('A'), event('B')] }] });
    const attempt = store.append({ streams: [{ streamId, streamType: 'Order', expectedVersion: 1, events: [event('C')] }] });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId, expectedVersion: 1, actualVersion: 2 });
    expect(await store.readStream(streamId)).toHaveLength(2);
  });

  it('rejects creating a stream that already exists (expected version 0)', async () => {
    const streamId = newId('customer');
    await store.append({ streams: [{ streamId, streamType: 'Customer', expectedVersion: 0, events: [event('CustomerRegistered')] }] });
    await expect(
      store.append({ streams: [{ streamId, streamType: 'Customer', expectedVersion: 0, events: [event('CustomerRegistered')] }] }),
    ).rejects.toMatchObject({ expectedVersion: 0, actualVersion: 1 });
  });

  it('appends to several streams atomically: a conflict on one writes nothing to any', async () => {
    const order = newId('order');
    const product = newId('product');
    await store.append({ streams: [{ streamId: product, streamType: 'Product', events: [event('ProductAdded')] }] });
    const failing = store.append({
      streams: [
        { streamId: order, streamType: 'Order', expectedVersion: 0, events: [event('OrderSubmitted')] },
        { streamId: product, streamType: 'Product', expectedVersion: 0, events: [event('StockReserved')] },
      ],
    });
    await expect(failing).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream(order)).toEqual([]);
    expect(await store.readStream(product)).toHaveLength(1);

    const outcome = await store.append({
      streams: [
        { streamId: order, streamType: 'Order', expectedVersion: 0, events: [event('OrderSubmitted')] },
        { streamId: product, streamType: 'Product', expectedVersion: 1, events: [event('StockReserved')] },
      ],
    });
    expect(outcome.streams).toEqual([
      { streamId: order, version: 1 },
      { streamId: product, version: 2 },
    ]);
    expect(await store.readStream(product)).toHaveLength(2);
  });
});

describe('idempotency', () => {
  it('returns the first outcome for a repeated command id with the same input and appends nothing', async () => {
    const streamId = newId('order');
    const idempotency = { caller: 'staff:alice', commandId: newId('cmd'), inputHash: 'hash-1', result: { orderId: streamId } };
    const first = await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }], idempotency });
    const again = await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }], idempotency });
    expect(again.duplicate).toBe(true);
    expect({ ...again, duplicate: false }).toEqual(first);
    expect(again.result).toEqual({ orderId: streamId });
    expect(await store.readStream(streamId)).toHaveLength(1);
  });

  it('rejects a command id reused with a different input', async () => {
    const commandId = newId('cmd');
    await store.append({
      streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'staff:alice', commandId, inputHash: 'a' },
    });
    await expect(
      store.append({
        streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }],
        idempotency: { caller: 'staff:alice', commandId, inputHash: 'b' },
      }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('keeps equal command ids of two callers apart: each appends, neither is a repeat or a reuse of the other', async () => {
    const commandId = newId('cmd');
    const [a, b] = [newId('order'), newId('order')];
    const first = await store.append({
      streams: [{ streamId: a, streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'customer:a', commandId, inputHash: 'a' },
    });
    const second = await store.append({
      streams: [{ streamId: b, streamType: 'Order', events: [event('B')] }],
      idempotency: { caller: 'customer:b', commandId, inputHash: 'b' },
    });
    expect([first.duplicate, second.duplicate]).toEqual([false, false]);
    expect(await store.readStream(b)).toHaveLength(1);
    const repeat = await store.append({
      streams: [{ streamId: a, streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'customer:a', commandId, inputHash: 'a' },
    });
    expect(repeat).toMatchObject({ duplicate: true, lastPosition: first.lastPosition });
  });

  it('appends once when the same command id arrives 10 times concurrently', async () => {
    const streamId = newId('order');
    const idempotency = { caller: 'staff:alice', commandId: newId('cmd'), inputHash: 'same' };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.append({ streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }], idempotency }),
      ),
    );
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.lastPosition)).size).toBe(1);
    expect(await store.readStream(streamId)).toHaveLength(1);
  });
});

describe('snapshots', () => {
  it('loads the latest snapshot plus only the events after it', async () => {
    const streamId = newId('order');
    await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A'), event('B'), event('C')] }] });
    await store.saveSnapshot({ streamId, streamType: 'Order', version: 2, state: { count: 2 } });
    await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('D')] }] });

    const loaded = await store.loadStream<{ count: number }>(streamId);
    expect(loaded.snapshot).toEqual({ version: 2, schemaVersion: 1, state: { count: 2 } });
    expect(loaded.events.map((e) => e.type)).toEqual(['C', 'D']);
    expect(loaded.version).toBe(4);
  });

  it('never replaces a snapshot with an older one', async () => {
    const streamId = newId('order');
    await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A'), event('B')] }] });
    await store.saveSnapshot({ streamId, streamType: 'Order', version: 2, state: { v: 2 } });
    await store.saveSnapshot({ streamId, streamType: 'Order', version: 1, state: { v: 1 } });
    expect((await store.loadStream(streamId)).snapshot?.state).toEqual({ v: 2 });
  });

  it('loads a stream without a snapshot from its first event, and a missing stream as version 0', async () => {
    const streamId = newId('order');
    await store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A')] }] });
    expect(await store.loadStream(streamId)).toMatchObject({ snapshot: undefined, version: 1 });
    expect(await store.loadStream(newId('missing'))).toEqual({ snapshot: undefined, events: [], version: 0 });
  });
});

describe('commit notification', () => {
  it('wakes a waiter when an append at or past its position commits', async () => {
    const head = await store.headPosition();
    // A wait's timeout also resolves it: this one is longer than the test may run, so only the
    // commit's notification can end it.
    const waiting = store.notifier.waitFor(head + 1n, 3_600_000);
    await store.append({ streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }] });
    await waiting;
    expect(store.notifier.latest).toBeGreaterThanOrEqual(head + 1n);
  });
});
