import { describe, expect, it } from 'vitest';
import { event, newId, useEventStore } from '../../tests/support/eventStoreFixture.js';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError } from './errors.js';

const fixture = useEventStore();

describe('append and read', () => {
  it('appends events to a new stream and reads them back in version order with their metadata', async () => {
    const streamId = newId('order');
    const outcome = await fixture.store.append({
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

    const events = await fixture.store.readStream(streamId);
    expect(events.map((e) => [e.version, e.type, e.data])).toEqual([
      [1, 'OrderCreated', { n: 1 }],
      [2, 'ItemAdded', { n: 2 }],
    ]);
    expect(events[0]!.streamType).toBe('Order');
    expect(events[0]!.schemaVersion).toBe(1);
    expect(events[0]!.metadata).toEqual({ commandId: 'c1', correlationId: 'corr', causationId: 'cause', actor: 'staff:alice' });
    expect(events[0]!.recordedAt).toBeInstanceOf(Date);
    expect(await fixture.store.readStream(streamId, 1)).toHaveLength(1);
  });

  it('reads events for folds with only the clock of their metadata, and their recording time when they have no clock', async () => {
    const streamId = newId('order');
    const clocked = await fixture.store.append({
      streams: [{ streamId, streamType: 'Order', expectedVersion: 0, events: [event('OrderCreated', { n: 1 })] }],
      metadata: { commandId: 'c2', actor: 'staff:alice', occurredAt: '2026-01-02T03:04:05.678Z' },
    });
    await fixture.store.append({
      streams: [{ streamId, streamType: 'Order', expectedVersion: 1, events: [event('ItemAdded', { n: 2 })] }],
      metadata: { actor: 'staff:alice' },
    });
    const after = BigInt(clocked.events[0]!.position) - 1n;
    const whole = await fixture.store.readAll(after, 2);
    const lean = await fixture.store.readAll(after, 2, { metadata: 'occurredAt' });
    expect(lean.map((e) => [e.position, e.streamId, e.streamType, e.version, e.type, e.schemaVersion, e.data])).toEqual(
      whole.map((e) => [e.position, e.streamId, e.streamType, e.version, e.type, e.schemaVersion, e.data]),
    );
    expect(lean.map((e) => e.metadata)).toEqual([{ occurredAt: '2026-01-02T03:04:05.678Z' }, {}]);
    expect(lean[1]!.recordedAt).toEqual(whole[1]!.recordedAt);
  });

  it('appends after the current version when no expected version is given', async () => {
    const streamId = newId('order');
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A')] }] });
    const outcome = await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('B')] }] });
    expect(outcome.streams).toEqual([{ streamId, version: 2 }]);
  });

  it('rejects a stale expected version with the expected and actual versions and writes nothing', async () => {
    const streamId = newId('order');
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', expectedVersion: 0, events: [event('A'), event('B')] }] });
    const attempt = fixture.store.append({ streams: [{ streamId, streamType: 'Order', expectedVersion: 1, events: [event('C')] }] });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId, expectedVersion: 1, actualVersion: 2 });
    expect(await fixture.store.readStream(streamId)).toHaveLength(2);
  });

  it('rejects creating a stream that already exists (expected version 0)', async () => {
    const streamId = newId('customer');
    await fixture.store.append({
      streams: [{ streamId, streamType: 'Customer', expectedVersion: 0, events: [event('CustomerRegistered')] }],
    });
    await expect(
      fixture.store.append({ streams: [{ streamId, streamType: 'Customer', expectedVersion: 0, events: [event('CustomerRegistered')] }] }),
    ).rejects.toMatchObject({ expectedVersion: 0, actualVersion: 1 });
  });

  it('appends to several streams atomically: a conflict on one writes nothing to any', async () => {
    const order = newId('order');
    const product = newId('product');
    await fixture.store.append({ streams: [{ streamId: product, streamType: 'Product', events: [event('ProductAdded')] }] });
    const failing = fixture.store.append({
      streams: [
        { streamId: order, streamType: 'Order', expectedVersion: 0, events: [event('OrderSubmitted')] },
        { streamId: product, streamType: 'Product', expectedVersion: 0, events: [event('StockReserved')] },
      ],
    });
    await expect(failing).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await fixture.store.readStream(order)).toEqual([]);
    expect(await fixture.store.readStream(product)).toHaveLength(1);

    const outcome = await fixture.store.append({
      streams: [
        { streamId: order, streamType: 'Order', expectedVersion: 0, events: [event('OrderSubmitted')] },
        { streamId: product, streamType: 'Product', expectedVersion: 1, events: [event('StockReserved')] },
      ],
    });
    expect(outcome.streams).toEqual([
      { streamId: order, version: 1 },
      { streamId: product, version: 2 },
    ]);
    expect(await fixture.store.readStream(product)).toHaveLength(2);
  });
});

describe('idempotency', () => {
  it('returns the first outcome for a repeated command id with the same input and appends nothing', async () => {
    const streamId = newId('order');
    const idempotency = { caller: 'staff:alice', commandId: newId('cmd'), inputHash: 'hash-1', result: { orderId: streamId } };
    const first = await fixture.store.append({
      streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }],
      idempotency,
    });
    const again = await fixture.store.append({
      streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }],
      idempotency,
    });
    expect(again.duplicate).toBe(true);
    expect({ ...again, duplicate: false }).toEqual(first);
    expect(again.result).toEqual({ orderId: streamId });
    expect(await fixture.store.readStream(streamId)).toHaveLength(1);
  });

  it('rejects a command id reused with a different input', async () => {
    const commandId = newId('cmd');
    await fixture.store.append({
      streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'staff:alice', commandId, inputHash: 'a' },
    });
    await expect(
      fixture.store.append({
        streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }],
        idempotency: { caller: 'staff:alice', commandId, inputHash: 'b' },
      }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('keeps equal command ids of two callers apart: each appends, neither is a repeat or a reuse of the other', async () => {
    const commandId = newId('cmd');
    const [a, b] = [newId('order'), newId('order')];
    const first = await fixture.store.append({
      streams: [{ streamId: a, streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'customer:a', commandId, inputHash: 'a' },
    });
    const second = await fixture.store.append({
      streams: [{ streamId: b, streamType: 'Order', events: [event('B')] }],
      idempotency: { caller: 'customer:b', commandId, inputHash: 'b' },
    });
    expect([first.duplicate, second.duplicate]).toEqual([false, false]);
    expect(await fixture.store.readStream(b)).toHaveLength(1);
    const repeat = await fixture.store.append({
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
        fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('OrderCreated')] }], idempotency }),
      ),
    );
    expect(outcomes.filter((o) => !o.duplicate)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.lastPosition)).size).toBe(1);
    expect(await fixture.store.readStream(streamId)).toHaveLength(1);
  });
});

describe('snapshots', () => {
  it('loads the latest snapshot plus only the events after it', async () => {
    const streamId = newId('order');
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A'), event('B'), event('C')] }] });
    await fixture.store.saveSnapshot({ streamId, streamType: 'Order', version: 2, state: { count: 2 } });
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('D')] }] });

    const loaded = await fixture.store.loadStream<{ count: number }>(streamId);
    expect(loaded.snapshot).toEqual({ version: 2, schemaVersion: 1, state: { count: 2 } });
    expect(loaded.events.map((e) => e.type)).toEqual(['C', 'D']);
    expect(loaded.version).toBe(4);
  });

  it('never replaces a snapshot with an older one', async () => {
    const streamId = newId('order');
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A'), event('B')] }] });
    await fixture.store.saveSnapshot({ streamId, streamType: 'Order', version: 2, state: { v: 2 } });
    await fixture.store.saveSnapshot({ streamId, streamType: 'Order', version: 1, state: { v: 1 } });
    expect((await fixture.store.loadStream(streamId)).snapshot?.state).toEqual({ v: 2 });
  });

  it('loads a stream without a snapshot from its first event, and a missing stream as version 0', async () => {
    const streamId = newId('order');
    await fixture.store.append({ streams: [{ streamId, streamType: 'Order', events: [event('A')] }] });
    expect(await fixture.store.loadStream(streamId)).toMatchObject({ snapshot: undefined, version: 1 });
    expect(await fixture.store.loadStream(newId('missing'))).toEqual({ snapshot: undefined, events: [], version: 0 });
  });
});

describe('commit notification', () => {
  it('wakes a waiter when an append at or past its position commits', async () => {
    const head = await fixture.store.headPosition();
    // A wait's timeout also resolves it: this one is longer than the test may run, so only the
    // commit's notification can end it.
    const waiting = fixture.store.notifier.waitFor(head + 1n, 3_600_000);
    await fixture.store.append({ streams: [{ streamId: newId('o'), streamType: 'Order', events: [event('A')] }] });
    await waiting;
    expect(fixture.store.notifier.latest).toBeGreaterThanOrEqual(head + 1n);
  });
});
