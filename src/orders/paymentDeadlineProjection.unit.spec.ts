import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore/types.js';
import { orderStreamId } from './orderDecider.js';
import { applyPaymentDeadlineEvents, type PaymentDeadlineRow } from './paymentDeadlineProjection.js';

const event = (position: number, orderId: string, type: string, occurredAt = '2026-01-01T10:00:00.000Z'): RecordedEvent => ({
  position: BigInt(position),
  streamId: orderStreamId(orderId),
  streamType: 'Order',
  version: 1,
  type,
  schemaVersion: 1,
  data: {},
  metadata: { occurredAt } as RecordedEvent['metadata'],
  recordedAt: new Date(occurredAt),
});

describe('applyPaymentDeadlineEvents', () => {
  it('schedules a deadline from the submission time of OrderSubmitted', () => {
    const rows = new Map<string, PaymentDeadlineRow>();
    const changed = applyPaymentDeadlineEvents(rows, [event(5, 'o1', 'OrderSubmitted', '2026-01-01T10:00:00.000Z')]);
    expect(changed).toEqual([{ order_id: 'o1', submitted_at: '2026-01-01T10:00:00.000Z', pending: true, last_position: 5n }]);
  });

  it.each(['PaymentRecorded', 'OrderCancelled', 'OrderExpired'])('ends the deadline on %s', (type) => {
    const rows = new Map<string, PaymentDeadlineRow>();
    applyPaymentDeadlineEvents(rows, [event(5, 'o1', 'OrderSubmitted'), event(6, 'o1', type)]);
    expect(rows.get('o1')).toMatchObject({ pending: false, last_position: 6n });
  });

  it('schedules nothing for a draft that is cancelled before it was submitted', () => {
    const rows = new Map<string, PaymentDeadlineRow>();
    expect(applyPaymentDeadlineEvents(rows, [event(3, 'o1', 'OrderCancelled')])).toEqual([]);
    expect(rows.size).toBe(0);
  });

  it('changes nothing when a batch is applied again (idempotent by position)', () => {
    const rows = new Map<string, PaymentDeadlineRow>();
    const batch = [event(5, 'o1', 'OrderSubmitted'), event(6, 'o1', 'PaymentRecorded')];
    applyPaymentDeadlineEvents(rows, batch);
    const before = structuredClone([...rows]);
    expect(applyPaymentDeadlineEvents(rows, batch)).toEqual([]);
    expect([...rows]).toEqual(before);
  });
});
