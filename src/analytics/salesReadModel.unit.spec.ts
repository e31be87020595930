import { describe, expect, it } from 'vitest';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { OrderEvent } from '../orders/orderEvents.js';
import { projectionSpec, recordedStream } from '../projections/testing/givenWhenThen.js';
import { applySalesEvents, emptyMinute, type SalesMinuteRow } from './salesReadModel.js';
import { bucketStarts, MAX_BUCKETS } from './salesStatsQuery.js';

const given = projectionSpec(() => new Map<string, SalesMinuteRow>(), applySalesEvents);
/** Every event of these streams happens in the minute 10:<position>. */
const order = (id: string, first: number, ...events: OrderEvent[]) => recordedStream(ORDER_STREAMS, id, first, events);
const minute = (m: number) => new Date(Date.UTC(2024, 4, 1, 10, m)).toISOString();

const created: OrderEvent = { type: 'OrderCreated', data: { orderId: 'o', customerId: 'c' } };
const added: OrderEvent = { type: 'ItemAdded', data: { sku: 'S', name: 'S', quantity: 2, unitPriceCents: 150 } };
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { totalCents: 300, lines: [{ sku: 'S', quantity: 2 }] } };
const paid: OrderEvent = { type: 'PaymentRecorded', data: { amountCents: 300, paymentRef: 'p' } };
const cancelled: OrderEvent = { type: 'OrderCancelled', data: { reason: 'r', previousStatus: 'PAID' } };
const refunded: OrderEvent = { type: 'RefundRecorded', data: { amountCents: 300, paymentRef: 'p' } };

describe('the sales read model', () => {
  it('counts each order event in the minute it occurred', () => {
    const [c, a, s, p] = order('o1', 1, created, added, submitted, paid);
    given(c!, a!)
      .when(s!, p!)
      .then((rows) => {
        expect(rows.get(minute(1))).toMatchObject({ orders_created: 1, last_position: 1n });
        expect(rows.has(minute(2))).toBe(false);
        expect(rows.get(minute(3))).toMatchObject({ orders_submitted: 1, orders_paid: 0 });
        expect(rows.get(minute(4))).toMatchObject({ orders_paid: 1, revenue_cents: 300n, refunds_cents: 0n });
      });
  });

  it('counts a cancellation and its refund, and keeps the revenue of the payment before', () => {
    given(...order('o1', 1, created, submitted, paid))
      .when(...order('o2', 4, cancelled, refunded))
      .then((rows) => {
        expect(rows.get(minute(3))).toMatchObject({ orders_paid: 1, revenue_cents: 300n });
        expect(rows.get(minute(4))).toMatchObject({ orders_cancelled: 1 });
        expect(rows.get(minute(5))).toMatchObject({ refunds_cents: 300n });
      });
  });

  it('sums two orders of the same minute into one row', () => {
    const sameMinute = () => minute(7);
    const first = recordedStream(ORDER_STREAMS, 'a', 10, [created, submitted], sameMinute);
    const second = recordedStream(ORDER_STREAMS, 'b', 12, [created], sameMinute);
    given(...first)
      .when(...second)
      .then((rows) => {
        expect([...rows.values()]).toEqual([{ ...emptyMinute(minute(7)), orders_created: 2, orders_submitted: 1, last_position: 12n }]);
      });
  });
});

describe('salesStats buckets', () => {
  const at = (iso: string) => new Date(iso);

  it('covers the range with buckets aligned down to their width, in UTC', () => {
    expect(bucketStarts(at('2024-05-01T10:20:00Z'), at('2024-05-01T12:05:00Z'), 'HOUR').map((d) => d.toISOString())).toEqual([
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T11:00:00.000Z',
      '2024-05-01T12:00:00.000Z',
    ]);
    // `to` is where the range ends, not a bucket of its own.
    expect(bucketStarts(at('2024-05-01T10:00:00Z'), at('2024-05-03T00:00:00Z'), 'DAY')).toHaveLength(2);
  });

  it('refuses an empty or reversed range and more than the most buckets with VALIDATION_FAILED', () => {
    expect(() => bucketStarts(at('2024-05-01T10:00:00Z'), at('2024-05-01T10:00:00Z'), 'MINUTE')).toThrow(/after `from`/);
    const tooMany = new Date(Date.UTC(2024, 4, 1) + (MAX_BUCKETS + 1) * 60_000);
    expect(() => bucketStarts(at('2024-05-01T00:00:00Z'), tooMany, 'MINUTE')).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(bucketStarts(at('2024-05-01T00:00:00Z'), new Date(Date.UTC(2024, 4, 1) + MAX_BUCKETS * 60_000), 'MINUTE')).toHaveLength(
      MAX_BUCKETS,
    );
  });
});
