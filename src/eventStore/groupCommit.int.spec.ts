import { describe, expect, it } from 'vitest';
import { event, newId, useEventStore } from '../../tests/support/eventStoreFixture.js';
import { appendBatch } from './append.js';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError, InvalidAppendError } from './errors.js';

const fixture = useEventStore();

describe('group commit', () => {
  it('checks each command of a batch on its own: a stale or reused one is rejected, the others commit', async () => {
    const [a, b, c] = [newId('order'), newId('order'), newId('order')];
    const reusedId = newId('cmd');
    await fixture.store.append({
      streams: [{ streamId: b, streamType: 'Order', events: [event('A')] }],
      idempotency: { caller: 'staff:alice', commandId: reusedId, inputHash: 'x' },
    });
    const results = await appendBatch(fixture.db.pool, [
      { streams: [{ streamId: a, streamType: 'Order', expectedVersion: 0, events: [event('A1'), event('A2')] }] },
      { streams: [{ streamId: b, streamType: 'Order', expectedVersion: 0, events: [event('B')] }] },
      {
        streams: [{ streamId: c, streamType: 'Order', events: [event('C')] }],
        idempotency: { caller: 'staff:alice', commandId: reusedId, inputHash: 'y' },
      },
    ]);
    expect(results[0]).toMatchObject({ duplicate: false, streams: [{ streamId: a, version: 2 }] });
    expect(results[1]).toBeInstanceOf(ConcurrencyError);
    expect(results[1]).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
    expect(results[2]).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await fixture.store.readStream(a)).toHaveLength(2);
    expect(await fixture.store.readStream(b)).toHaveLength(1);
    expect(await fixture.store.readStream(c)).toHaveLength(0);
  });

  it('refuses an append holding text PostgreSQL cannot store on its own, before it can join a batch, while the batch commits', async () => {
    const streams = Array.from({ length: 6 }, () => newId('order'));
    const poisoned = [
      { data: { note: 'nul \u0000 here' } },
      { data: { note: 'lone \ud800 surrogate' } },
      { metadata: { actor: 'x\udc00' } },
    ];
    const appends = streams.map((streamId, i) => {
      const bad = poisoned[i % 2 === 1 ? (i - 1) / 2 : -1];
      return fixture.store.append({
        streams: [{ streamId, streamType: 'Order', events: [{ type: 'OrderCreated', data: bad?.data ?? { ok: true } }] }],
        metadata: bad?.metadata,
      });
    });
    const settled = await Promise.allSettled(appends);
    settled.forEach((result, i) => {
      if (i % 2 === 1) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(InvalidAppendError) });
      else expect(result).toMatchObject({ status: 'fulfilled' });
    });
    const written = await Promise.all(streams.map((s) => fixture.store.readStream(s)));
    expect(written.map((events) => events.length)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('keeps concurrent appends to one stream in separate commits, so none overwrites another', async () => {
    const streamId = newId('product');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fixture.store.append({ streams: [{ streamId, streamType: 'Product', events: [event('StockReserved', { i })] }] }),
      ),
    );
    expect(outcomes.map((o) => o.streams[0]!.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await fixture.store.readStream(streamId)).map((e) => e.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('answers each of many concurrent appends with its own positions, in one order for all', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        fixture.store.append({ streams: [{ streamId: newId('order'), streamType: 'Order', events: [event('A'), event('B')] }] }),
      ),
    );
    const positions = outcomes.flatMap((o) => o.events.map((e) => BigInt(e.position)));
    expect(new Set(positions).size).toBe(100);
    for (const o of outcomes) expect(BigInt(o.events[1]!.position)).toBeGreaterThan(BigInt(o.events[0]!.position));
  });
});
