import { describe, expect, it } from 'vitest';
import { ORDER_EMAIL_TEMPLATES, ORDER_EMAIL_TYPES, type OrderEmailFacts } from './orderEmails.js';

const facts: OrderEmailFacts = {
  orderId: 'order-1',
  customerName: 'Ann <script>',
  lines: [
    { sku: 'TEA', name: 'Tea & Biscuits', quantity: 2, unitPriceCents: 350 },
    { sku: 'CUP', name: 'Cup', quantity: 1, unitPriceCents: 1_000 },
  ],
  paymentDueAt: '2026-12-07T12:00:00.000Z',
  paidCents: 1_700,
  paymentRef: 'PAY-1',
  carrier: 'DHL',
  trackingNumber: 'TR-9',
};

describe('order email templates', () => {
  it('covers the five order events a customer is emailed about', () => {
    expect(ORDER_EMAIL_TYPES.sort()).toEqual(
      ['cancelled', 'expired', 'paid', 'shipped', 'submitted'].map((t) => `ordersource.order.${t}.v1`),
    );
  });

  it('lists the lines, the total and the payment deadline of a submitted order, in text and HTML', () => {
    const email = ORDER_EMAIL_TEMPLATES['ordersource.order.submitted.v1']!(facts);
    expect(email.subject).toBe('We received your order order-1');
    expect(email.text).toContain('2 x Tea & Biscuits (TEA) at 3.50 = 7.00');
    expect(email.text).toContain('Total: 17.00');
    expect(email.text).toContain('Please pay by 2026-12-07T12:00:00.000Z');
    expect(email.html).toContain('Tea &amp; Biscuits');
  });

  it('escapes every value in the HTML (a name is not markup)', () => {
    for (const type of ORDER_EMAIL_TYPES) {
      const { html, text } = ORDER_EMAIL_TEMPLATES[type]!(facts);
      expect(html).not.toContain('<script>');
      expect(html).toContain('Ann &lt;script&gt;');
      expect(text).toContain('Hello Ann <script>,');
    }
  });

  it('says what a cancellation refunds, and that an unpaid one refunds nothing', () => {
    const cancelled = ORDER_EMAIL_TEMPLATES['ordersource.order.cancelled.v1']!;
    expect(cancelled({ ...facts, refundCents: 1_700 }).text).toContain('We refund your payment of 17.00.');
    expect(cancelled({ ...facts, refundCents: undefined }).text).toContain('nothing to refund');
  });

  it('gives the carrier and tracking number of a shipment', () => {
    const { text } = ORDER_EMAIL_TEMPLATES['ordersource.order.shipped.v1']!(facts);
    expect(text).toContain('with DHL');
    expect(text).toContain('Tracking number: TR-9');
  });
});
