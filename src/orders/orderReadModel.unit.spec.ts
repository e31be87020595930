import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore/types.js';
import type { OrderEvent } from './orderEvents.js';
import { applyOrderEvents, type OrderRows } from './orderReadModel.js';

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

/** A stored order event, as the projection reads it: `position` is global, `version` per stream; it happened at minute `position`. */
function recorded(
  orderId: string,
  position: number,
  version: number,
  event: OrderEvent,
  occurredAt: string | null = at(position),
): RecordedEvent {
  return {
    position: BigInt(position),
    streamId: `Order-${orderId}`,
    streamType: 'Order',
    version,
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: occurredAt ? { occurredAt, actor: 'staff:alice' } : {},
    recordedAt: new Date(Date.UTC(2030, 0, 1)),
  };
}

const created = (customerId = 'c-1'): OrderEvent => ({ type: 'OrderCreated', data: { orderId: 'ignored', customerId } });
const added = (sku: string, quantity: number, unitPriceCents: number, name = `${sku} name`): OrderEvent => ({
  type: 'ItemAdded',
  data: { sku, name, quantity, unitPriceCents },
});
const removed = (sku: string, quantity: number): OrderEvent => ({ type: 'ItemRemoved', data: { sku, quantity } });
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { totalCents: 0, lines: [] } };
const paid = (amountCents: number): OrderEvent => ({ type: 'PaymentRecorded', data: { amountCents, paymentRef: 'pay-1' } });
const shipped: OrderEvent = { type: 'OrderShipped', data: { carrier: 'DHL', trackingNumber: 'T1' } };
const delivered: OrderEvent = { type: 'OrderDelivered', data: {} };
const cancelled = (previousStatus: 'DRAFT' | 'SUBMITTED' | 'PAID'): OrderEvent => ({
  type: 'OrderCancelled',
  data: { reason: 'changed my mind', previousStatus },
});
const refunded = (amountCents: number): OrderEvent => ({ type: 'RefundRecorded', data: { amountCents, paymentRef: 'pay-1' } });

/** Events of one order, versions 1.. at consecutive positions from `firstPosition`. */
function stream(orderId: string, firstPosition: number, ...events: OrderEvent[]): RecordedEvent[] {
  return events.map((e, i) => recorded(orderId, firstPosition + i, i + 1, e));
}

const emptyRows = (): OrderRows => ({ summaries: new Map(), lines: new Map(), customers: new Map() });

function fold(events: RecordedEvent[], rows = emptyRows()) {
  const result = applyOrderEvents(rows, events);
  return { rows, ...result };
}

describe('the orders read model fold', () => {
  it('creates a DRAFT summary with no lines and zero totals from OrderCreated', () => {
    const { rows, history, changed } = fold(stream('o1', 7, created('c-9')));
    expect(rows.summaries.get('o1')).toEqual({
      order_id: 'o1',
      customer_id: 'c-9',
      status: 'DRAFT',
      total_cents: 0,
      item_count: 0,
      version: 1,
      created_at: at(7),
      updated_at: at(7),
      last_position: 7n,
      customer_name: null,
    });
    expect(rows.lines.get('o1')).toEqual([]);
    expect(history).toHaveLength(1);
    expect(changed.map((e) => e.position)).toEqual([7n]);
  });

  it('keeps lines in the order their skus were first added and merges a repeated sku into its line', () => {
    const { rows } = fold(
      stream('o1', 1, created(), added('A', 2, 250), added('B', 1, 1000), added('A', 1, 999, 'renamed'), added('C', 4, 75)),
    );
    expect(rows.lines.get('o1')).toEqual([
      { order_id: 'o1', sku: 'A', name: 'A name', quantity: 3, unit_price_cents: 250, line_no: 1 },
      { order_id: 'o1', sku: 'B', name: 'B name', quantity: 1, unit_price_cents: 1000, line_no: 2 },
      { order_id: 'o1', sku: 'C', name: 'C name', quantity: 4, unit_price_cents: 75, line_no: 3 },
    ]);
    expect(rows.summaries.get('o1')).toMatchObject({
      total_cents: 3 * 250 + 1000 + 4 * 75,
      item_count: 8,
      version: 5,
      updated_at: at(5),
      created_at: at(1),
      last_position: 5n,
    });
  });

  it("lowers a line on ItemRemoved, drops it at zero, keeps the others' numbers and numbers a new line after the highest", () => {
    const { rows } = fold(
      stream(
        'o1',
        1,
        created(),
        added('A', 2, 100),
        added('B', 3, 10),
        added('C', 1, 1),
        removed('B', 1),
        removed('A', 2),
        added('D', 5, 2),
      ),
    );
    expect(rows.lines.get('o1')!.map((l) => [l.sku, l.quantity, l.line_no])).toEqual([
      ['B', 2, 2],
      ['C', 1, 3],
      ['D', 5, 4],
    ]);
    expect(rows.summaries.get('o1')).toMatchObject({ total_cents: 2 * 10 + 1 + 5 * 2, item_count: 8, version: 7 });
  });

  it('leaves an empty order with no lines and zero totals once every item is removed', () => {
    const { rows } = fold(stream('o1', 1, created(), added('A', 2, 100), removed('A', 2)));
    expect(rows.lines.get('o1')).toEqual([]);
    expect(rows.summaries.get('o1')).toMatchObject({ total_cents: 0, item_count: 0, status: 'DRAFT', version: 3 });
  });

  it('moves the status through SUBMITTED, PAID, SHIPPED and DELIVERED, keeping lines, totals and the creation time', () => {
    const events = stream('o1', 20, created(), added('A', 2, 300), submitted, paid(600), shipped, delivered);
    const rows = emptyRows();
    const seen: [string, number][] = [];
    for (const event of events) {
      applyOrderEvents(rows, [event]);
      const s = rows.summaries.get('o1')!;
      seen.push([s.status, s.version]);
      expect(s).toMatchObject({
        total_cents: s.version >= 2 ? 600 : 0,
        created_at: at(20),
        updated_at: at(Number(event.position)),
        last_position: event.position,
      });
    }
    expect(seen).toEqual([
      ['DRAFT', 1],
      ['DRAFT', 2],
      ['SUBMITTED', 3],
      ['PAID', 4],
      ['SHIPPED', 5],
      ['DELIVERED', 6],
    ]);
    expect(rows.lines.get('o1')).toHaveLength(1);
  });

  it('cancels from any open status and records a refund without changing status or totals', () => {
    for (const before of [[], [submitted], [submitted, paid(500)]] as OrderEvent[][]) {
      const previous = before.length === 0 ? 'DRAFT' : before.length === 1 ? 'SUBMITTED' : 'PAID';
      const tail = previous === 'PAID' ? [cancelled(previous), refunded(500)] : [cancelled(previous)];
      const { rows, history } = fold(stream('o1', 1, created(), added('A', 5, 100), ...before, ...tail));
      expect(rows.summaries.get('o1')).toMatchObject({
        status: 'CANCELLED',
        total_cents: 500,
        item_count: 5,
        version: 2 + before.length + tail.length,
      });
      expect(history.map((h) => h.type).slice(-tail.length)).toEqual(tail.map((e) => e.type));
    }
  });

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
