import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore/types.js';
import { applyCustomerEvents, type CustomerRow } from './customerProjection.js';

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

function recorded(streamId: string, position: number, version: number, type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    position: BigInt(position),
    streamId,
    streamType: streamId.split('-')[0]!,
    version,
    type,
    schemaVersion: 1,
    data,
    metadata: { occurredAt: at(position) },
    recordedAt: new Date(Date.UTC(2030, 0, 1)),
  };
}

const registered = (position: number, customerId: string, name = `name of ${customerId}`) =>
  recorded(`Customer-${customerId}`, position, 1, 'CustomerRegistered', {
    customerId,
    personal: { name, email: `${customerId}@example.com` },
  });
const orderCreated = (position: number, orderId: string, customerId: string) =>
  recorded(`Order-${orderId}`, position, 1, 'OrderCreated', { orderId, customerId });
const paid = (position: number, orderId: string, amountCents: number, version = 4) =>
  recorded(`Order-${orderId}`, position, version, 'PaymentRecorded', { amountCents, paymentRef: `pay-${orderId}` });
const refunded = (position: number, orderId: string, amountCents: number, version = 6) =>
  recorded(`Order-${orderId}`, position, version, 'RefundRecorded', { amountCents, paymentRef: `pay-${orderId}` });

function fold(events: RecordedEvent[], rows = new Map<string, CustomerRow>(), links = new Map<string, string>()) {
  return { rows, links, ...applyCustomerEvents(rows, links, events) };
}

describe('the customers fold', () => {
  it('creates a customer with no orders and nothing spent from CustomerRegistered', () => {
    const { rows, newLinks, changed } = fold([registered(4, 'c1', 'Ada')]);
    expect(rows.get('c1')).toEqual({
      customer_id: 'c1',
      name: 'Ada',
      email: 'c1@example.com',
      forgotten: false,
      order_count: 0,
      total_spent_cents: 0n,
      registered_at: at(4),
      last_position: 4n,
    });
    expect(newLinks).toEqual([]);
    expect(changed.map((e) => e.position)).toEqual([4n]);
  });

  it('nulls name and email and flags the customer forgotten on CustomerForgotten, keeping their figures', () => {
    const forgotten = recorded('Customer-c1', 3, 2, 'CustomerForgotten', { customerId: 'c1' });
    const { rows } = fold([registered(1, 'c1', 'Ada'), orderCreated(2, 'o1', 'c1'), forgotten]);
    expect(rows.get('c1')).toMatchObject({ name: null, email: null, forgotten: true, order_count: 1, last_position: 3n });
  });

  it('registers a customer whose personal data is unreadable (a rebuild after forgetting) without name or email', () => {
    const unreadable = recorded('Customer-c1', 1, 1, 'CustomerRegistered', { customerId: 'c1', personal: null });
    expect(fold([unreadable]).rows.get('c1')).toMatchObject({ name: null, email: null, forgotten: false });
  });

  it('counts each created order and links the order to its customer', () => {
    const { rows, links, newLinks } = fold([registered(1, 'c1'), orderCreated(2, 'o1', 'c1'), orderCreated(3, 'o2', 'c1')]);
    expect(rows.get('c1')).toMatchObject({ order_count: 2, total_spent_cents: 0n, last_position: 3n, registered_at: at(1) });
    expect(newLinks).toEqual([
      { order_id: 'o1', customer_id: 'c1', last_position: 2n },
      { order_id: 'o2', customer_id: 'c1', last_position: 3n },
    ]);
    expect([...links]).toEqual([
      ['o1', 'c1'],
      ['o2', 'c1'],
    ]);
  });

  it('adds payments and subtracts refunds through the order link made earlier in the same batch', () => {
    const { rows } = fold([
      registered(1, 'c1'),
      orderCreated(2, 'o1', 'c1'),
      orderCreated(3, 'o2', 'c1'),
      paid(4, 'o1', 1975),
      paid(5, 'o2', 2000),
      refunded(6, 'o2', 2000),
    ]);
    expect(rows.get('c1')).toMatchObject({ order_count: 2, total_spent_cents: 1975n, last_position: 6n });
  });

  it('reaches the customer through a link from an earlier batch', () => {
    const rows = new Map<string, CustomerRow>();
    const links = new Map<string, string>();
    fold([registered(1, 'c1'), orderCreated(2, 'o1', 'c1')], rows, links);
    const { changed, newLinks } = fold([paid(10, 'o1', 300)], rows, links);
    expect(rows.get('c1')).toMatchObject({ order_count: 1, total_spent_cents: 300n, last_position: 10n });
    expect(changed.map((e) => e.position)).toEqual([10n]);
    expect(newLinks).toEqual([]);
  });

  it('ignores payments of an order it has no link for, and orders of a customer it has no row for', () => {
    const { rows, links, changed, newLinks } = fold([
      registered(1, 'c1'),
      paid(2, 'unknown', 500),
      orderCreated(3, 'o9', 'nobody'),
      paid(4, 'o9', 100),
    ]);
    expect(rows.get('c1')).toMatchObject({ order_count: 0, total_spent_cents: 0n, last_position: 1n });
    expect(rows.has('nobody')).toBe(false);
    expect(links.size).toBe(0);
    expect(newLinks).toEqual([]);
    expect(changed.map((e) => e.position)).toEqual([1n]);
  });

  it('keeps customers apart when their orders interleave', () => {
    const { rows } = fold([
      registered(1, 'ann'),
      registered(2, 'bob'),
      orderCreated(3, 'o1', 'ann'),
      orderCreated(4, 'o2', 'bob'),
      orderCreated(5, 'o3', 'ann'),
      paid(6, 'o2', 2000),
      paid(7, 'o1', 1975),
      paid(8, 'o3', 250),
      refunded(9, 'o2', 2000),
    ]);
    expect(rows.get('ann')).toMatchObject({ order_count: 2, total_spent_cents: 2225n, last_position: 8n });
    expect(rows.get('bob')).toMatchObject({ order_count: 1, total_spent_cents: 0n, last_position: 9n });
  });

  it('changes nothing when the same events are applied twice', () => {
    const events = [
      registered(1, 'c1'),
      registered(2, 'c2'),
      orderCreated(3, 'o1', 'c1'),
      orderCreated(4, 'o2', 'c2'),
      paid(5, 'o1', 700),
      paid(6, 'o2', 50),
      refunded(7, 'o2', 50),
    ];
    const rows = new Map<string, CustomerRow>();
    const links = new Map<string, string>();
    applyCustomerEvents(rows, links, events);
    const [rowsAfterFirst, linksAfterFirst] = [structuredClone(rows), structuredClone(links)];
    expect(applyCustomerEvents(rows, links, events)).toEqual({ newLinks: [], changed: [] });
    expect(rows).toEqual(rowsAfterFirst);
    expect(links).toEqual(linksAfterFirst);
  });

  it("skips events at or below the customer's last position and applies the ones after it", () => {
    const rows = new Map<string, CustomerRow>([
      [
        'c1',
        {
          customer_id: 'c1',
          name: 'Ada',
          email: 'a@example.com',
          forgotten: false,
          order_count: 1,
          total_spent_cents: 100n,
          registered_at: at(1),
          last_position: 20n,
        },
      ],
    ]);
    const links = new Map([['o1', 'c1']]);
    const { changed, newLinks } = fold(
      [paid(19, 'o1', 100), paid(20, 'o1', 100), orderCreated(20, 'o-old', 'c1'), paid(21, 'o1', 5), orderCreated(22, 'o2', 'c1')],
      rows,
      links,
    );
    expect(changed.map((e) => e.position)).toEqual([21n, 22n]);
    expect(newLinks).toEqual([{ order_id: 'o2', customer_id: 'c1', last_position: 22n }]);
    expect(rows.get('c1')).toMatchObject({ order_count: 2, total_spent_cents: 105n, last_position: 22n });
  });
});
