import { describe, expect, it } from 'vitest';
import { applyOrderEvents } from './orderReadModel.js';
import type { OrderEvent } from './orderEvents.js';
import { at, recorded, created, added, removed, submitted, paid, stream, emptyRows, fold } from './orderReadModelFixtures.js';

describe('the orders read model fold, batch by batch', () => {
  it('writes one history row per applied event with its position, version, type, time and data', () => {
    const events = stream('o1', 40, created('c-2'), added('A', 1, 100), paid(100));
    const { history, changed } = fold(events);
    expect(history).toEqual([
      {
        position: 40n,
        order_id: 'o1',
        version: 1,
        type: 'OrderCreated',
        occurred_at: at(40),
        data: { orderId: 'ignored', customerId: 'c-2' },
      },
      {
        position: 41n,
        order_id: 'o1',
        version: 2,
        type: 'ItemAdded',
        occurred_at: at(41),
        data: { sku: 'A', name: 'A name', quantity: 1, unitPriceCents: 100 },
      },
      {
        position: 42n,
        order_id: 'o1',
        version: 3,
        type: 'PaymentRecorded',
        occurred_at: at(42),
        data: { amountCents: 100, paymentRef: 'pay-1' },
      },
    ]);
    expect(changed).toEqual(events);
  });

  it('uses the recording time when the metadata carries no occurredAt', () => {
    const event = recorded('o1', 1, 1, created(), null);
    const { rows, history } = fold([event]);
    expect(rows.summaries.get('o1')).toMatchObject({ created_at: '2030-01-01T00:00:00.000Z', updated_at: '2030-01-01T00:00:00.000Z' });
    expect(history[0]!.occurred_at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('keeps interleaved orders apart', () => {
    const events = [
      recorded('o1', 1, 1, created('c-1')),
      recorded('o2', 2, 1, created('c-2')),
      recorded('o1', 3, 2, added('A', 1, 10)),
      recorded('o2', 4, 2, added('A', 4, 20)),
      recorded('o2', 5, 3, submitted),
      recorded('o1', 6, 3, added('B', 2, 5)),
    ];
    const { rows } = fold(events);
    expect(rows.summaries.get('o1')).toMatchObject({
      customer_id: 'c-1',
      status: 'DRAFT',
      total_cents: 20,
      item_count: 3,
      version: 3,
      last_position: 6n,
    });
    expect(rows.summaries.get('o2')).toMatchObject({
      customer_id: 'c-2',
      status: 'SUBMITTED',
      total_cents: 80,
      item_count: 4,
      version: 3,
      last_position: 5n,
    });
  });

  it('changes nothing when the same events are applied twice', () => {
    const events = [
      ...stream('o1', 1, created(), added('A', 2, 100), added('B', 1, 7), removed('A', 1), submitted, paid(107)),
      ...stream('o2', 7, created('c-2'), added('Z', 3, 3)),
    ];
    const rows = emptyRows();
    applyOrderEvents(rows, events);
    const afterFirst = structuredClone(rows);
    expect(applyOrderEvents(rows, events)).toEqual({ history: [], changed: [], customersChanged: [] });
    expect(rows).toEqual(afterFirst);
  });

  it('folds the same rows without making history rows when asked not to (a rebuild copies them from the log)', () => {
    const events = [
      ...stream('o1', 1, created(), added('A', 2, 100), added('B', 1, 7), removed('A', 1), submitted, paid(107)),
      ...stream('o2', 7, created('c-2'), added('Z', 3, 3)),
    ];
    const withHistory = fold(events);
    const rows = emptyRows();
    const without = applyOrderEvents(rows, events, { history: false });
    expect(without.history).toEqual([]);
    expect(without.changed).toEqual(withHistory.changed);
    expect(rows).toEqual(withHistory.rows);
  });

  it("skips events at or below a row's last position and applies the ones after it, also within one batch", () => {
    const events = stream('o1', 1, created(), added('A', 1, 100), added('A', 1, 100), submitted);
    const rows = emptyRows();
    applyOrderEvents(rows, events.slice(0, 2));
    const { history, changed } = applyOrderEvents(rows, events); // a batch overlapping what was applied
    expect(changed.map((e) => e.position)).toEqual([3n, 4n]);
    expect(history.map((h) => h.position)).toEqual([3n, 4n]);
    expect(rows.summaries.get('o1')).toMatchObject({ item_count: 2, total_cents: 200, status: 'SUBMITTED', version: 4, last_position: 4n });
    // An older event delivered after a newer one is ignored, not folded in out of order.
    expect(applyOrderEvents(rows, [recorded('o1', 2, 2, added('A', 50, 100))]).changed).toEqual([]);
    expect(rows.summaries.get('o1')!.item_count).toBe(2);
  });

  it('ignores the events of an order whose creation it never saw', () => {
    const { rows, history, changed } = fold([recorded('ghost', 5, 2, added('A', 1, 100)), recorded('ghost', 6, 3, submitted)]);
    expect(rows.summaries.size).toBe(0);
    expect(history).toEqual([]);
    expect(changed).toEqual([]);
  });
});

describe('damaged events', () => {
  it('refuses item events whose quantity or price is not a positive integer, rather than corrupting totals', () => {
    for (const data of [{ quantity: '2' }, { quantity: -1 }, { quantity: 1.5 }, { unitPriceCents: '10' }, { sku: 7 }]) {
      const bad = { type: 'ItemAdded', data: { sku: 'A', name: 'A', quantity: 1, unitPriceCents: 10, ...data } } as unknown as OrderEvent;
      expect(() => fold(stream('o-bad', 1, created(), bad)), JSON.stringify(data)).toThrow(/malformed ItemAdded/);
    }
    expect(() => fold(stream('o-bad', 1, created(), { type: 'ItemRemoved', data: { sku: 'A', quantity: 0 } }))).toThrow(
      /malformed ItemRemoved/,
    );
  });
});
