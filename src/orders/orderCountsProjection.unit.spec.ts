import { describe, expect, it } from 'vitest';
import { statusCountChanges } from './orderCountsProjection.js';

describe('the counts of orders per status', () => {
  it('move each order from the status it leaves to the one it reaches', () => {
    const changes = statusCountChanges([
      { type: 'OrderCreated', data: {} },
      { type: 'ItemAdded', data: {} },
      { type: 'OrderSubmitted', data: {} },
      { type: 'PaymentRecorded', data: {} },
      { type: 'OrderShipped', data: {} },
      { type: 'OrderCreated', data: {} },
    ]);
    expect(Object.fromEntries(changes)).toEqual({ DRAFT: 1, SUBMITTED: 0, PAID: 0, SHIPPED: 1 });
  });

  it('take a cancelled order from the status its cancellation recorded', () => {
    const changes = statusCountChanges([
      { type: 'OrderCancelled', data: { reason: 'late', previousStatus: 'PAID' } },
      { type: 'OrderExpired', data: { paymentDueAt: '2026-12-07T10:00:00.000Z' } },
    ]);
    expect(Object.fromEntries(changes)).toEqual({ PAID: -1, CANCELLED: 1, SUBMITTED: -1, EXPIRED: 1 });
  });
});
