import { describe, expect, it } from 'vitest';
import { EventUpcasters } from '../src/eventStore/upcasting.js';
import type { RecordedEvent } from '../src/eventStore/types.js';
import { FEATURES } from '../src/features.js';
import { IntegrationEvents } from '../src/integrationEvents/integrationEvents.js';

const events = new IntegrationEvents(FEATURES.flatMap((f) => f.integrationEvents ?? []));
const upcasters = new EventUpcasters(FEATURES.flatMap((f) => f.upcasters ?? []));
const RECORDED_AT = new Date('2026-12-07T10:00:00.000Z');
const ORDER = 'Order-0b9e3c2e-8a4e-4c1e-9d43-3f1f2f5b6a70';

/** An event as the log stores it (`schemaVersion` 1 unless said), read the way every reader reads it: upcast first. */
function read(
  streamId: string,
  version: number,
  type: string,
  data: Record<string, unknown>,
  schemaVersion = upcasters.currentVersion(type),
) {
  const stored: RecordedEvent = {
    position: 42n,
    streamId,
    streamType: streamId.split('-')[0]!,
    version,
    type,
    schemaVersion,
    data,
    metadata: {},
    recordedAt: RECORDED_AT,
  };
  return events.toCloudEvent(upcasters.upcast(stored), 'urn:ordersource');
}

/** The envelope every integration event has; `data` is each type's own. */
const envelope = (type: string, subject: string, sequence: string, data: Record<string, unknown>) => ({
  specversion: '1.0',
  id: `${type.startsWith('ordersource.order') ? ORDER : type.startsWith('ordersource.product') ? 'Product-SKU-1' : 'Customer-c-1'}:${sequence}`,
  source: 'urn:ordersource',
  type,
  subject,
  time: '2026-12-07T10:00:00.000Z',
  datacontenttype: 'application/json',
  sequence,
  ordersourceposition: '42',
  data,
});

// The contract: these JSON documents are what receivers were promised for each `.v1` type. A change
// to an internal event must keep them (an upcaster brings old events to the current shape first);
// a change here is a new version of the type, never an edit of this one.
const orderId = ORDER.slice('Order-'.length);
const CASES: [string, string, number, Record<string, unknown>, ReturnType<typeof envelope>][] = [
  [
    ORDER,
    'OrderCreated',
    1,
    { orderId, customerId: 'c-1' },
    envelope('ordersource.order.created.v1', orderId, '1', { orderId, customerId: 'c-1' }),
  ],
  [
    ORDER,
    'ItemAdded',
    2,
    { sku: 'SKU-1', name: 'Clock', quantity: 2, unitPriceCents: 1500 },
    envelope('ordersource.order.item_added.v1', orderId, '2', { orderId, sku: 'SKU-1', quantity: 2, unitPriceCents: 1500 }),
  ],
  [
    ORDER,
    'ItemRemoved',
    3,
    { sku: 'SKU-1', quantity: 1 },
    envelope('ordersource.order.item_removed.v1', orderId, '3', { orderId, sku: 'SKU-1', quantity: 1 }),
  ],
  [
    ORDER,
    'OrderSubmitted',
    4,
    { totalCents: 1500, lines: [{ sku: 'SKU-1', quantity: 1 }] },
    envelope('ordersource.order.submitted.v1', orderId, '4', {
      orderId,
      status: 'SUBMITTED',
      totalCents: 1500,
      lines: [{ sku: 'SKU-1', quantity: 1 }],
    }),
  ],
  [
    ORDER,
    'PaymentRecorded',
    5,
    { amountCents: 1500, paymentRef: 'pay-1' },
    envelope('ordersource.order.paid.v1', orderId, '5', { orderId, status: 'PAID', amountCents: 1500, paymentRef: 'pay-1' }),
  ],
  [
    ORDER,
    'OrderShipped',
    6,
    { carrier: 'DHL', trackingNumber: 'T-1' },
    envelope('ordersource.order.shipped.v1', orderId, '6', { orderId, status: 'SHIPPED', carrier: 'DHL', trackingNumber: 'T-1' }),
  ],
  [ORDER, 'OrderDelivered', 7, {}, envelope('ordersource.order.delivered.v1', orderId, '7', { orderId, status: 'DELIVERED' })],
  [
    ORDER,
    'OrderCancelled',
    7,
    { reason: 'Ada changed her mind', previousStatus: 'PAID' },
    envelope('ordersource.order.cancelled.v1', orderId, '7', { orderId, status: 'CANCELLED', previousStatus: 'PAID' }),
  ],
  [
    ORDER,
    'OrderExpired',
    5,
    { paymentDueAt: '2026-12-07T10:30:00.000Z' },
    envelope('ordersource.order.expired.v1', orderId, '5', { orderId, status: 'EXPIRED', paymentDueAt: '2026-12-07T10:30:00.000Z' }),
  ],
  [
    'Product-SKU-1',
    'ProductAdded',
    1,
    { sku: 'SKU-1', name: 'Clock', priceCents: 1500, initialStock: 5 },
    envelope('ordersource.product.added.v1', 'SKU-1', '1', { sku: 'SKU-1', priceCents: 1500, initialStock: 5 }),
  ],
  [
    'Product-SKU-1',
    'ProductRestocked',
    2,
    { quantity: 10 },
    envelope('ordersource.product.restocked.v1', 'SKU-1', '2', { sku: 'SKU-1', quantity: 10 }),
  ],
  [
    'Product-SKU-1',
    'StockReserved',
    3,
    { orderId, quantity: 2 },
    envelope('ordersource.product.stock_changed.v1', 'SKU-1', '3', { sku: 'SKU-1', change: 'RESERVED', orderId, quantity: 2 }),
  ],
  [
    'Product-SKU-1',
    'StockReleased',
    4,
    { orderId, quantity: 2 },
    envelope('ordersource.product.stock_changed.v1', 'SKU-1', '4', { sku: 'SKU-1', change: 'RELEASED', orderId, quantity: 2 }),
  ],
  [
    'Product-SKU-1',
    'StockShipped',
    5,
    { orderId, quantity: 2 },
    envelope('ordersource.product.stock_changed.v1', 'SKU-1', '5', { sku: 'SKU-1', change: 'SHIPPED', orderId, quantity: 2 }),
  ],
  [
    'Customer-c-1',
    'CustomerRegistered',
    1,
    { customerId: 'c-1', personal: { name: 'Ada', email: 'ada@example.com' } },
    envelope('ordersource.customer.registered.v1', 'c-1', '1', { customerId: 'c-1' }),
  ],
  [
    'Customer-c-1',
    'CustomerForgotten',
    2,
    { customerId: 'c-1' },
    envelope('ordersource.customer.forgotten.v1', 'c-1', '2', { customerId: 'c-1' }),
  ],
];

describe('integration events', () => {
  it.each(CASES)('%s %s keeps its published JSON shape', (streamId, type, version, data, expected) => {
    expect(read(streamId, version, type, data)).toEqual(expected);
  });

  it('publishes exactly the types the product promises', () => {
    expect(events.types.sort()).toEqual(
      [
        'ordersource.order.created.v1',
        'ordersource.order.item_added.v1',
        'ordersource.order.item_removed.v1',
        'ordersource.order.submitted.v1',
        'ordersource.order.paid.v1',
        'ordersource.order.shipped.v1',
        'ordersource.order.delivered.v1',
        'ordersource.order.cancelled.v1',
        'ordersource.order.expired.v1',
        'ordersource.product.added.v1',
        'ordersource.product.restocked.v1',
        'ordersource.product.stock_changed.v1',
        'ordersource.customer.registered.v1',
        'ordersource.customer.forgotten.v1',
      ].sort(),
    );
  });

  it("gives a registration stored in the first release's shape the same integration event (upcast before mapping)", () => {
    const v1 = read('Customer-c-1', 1, 'CustomerRegistered', { customerId: 'c-1', name: 'Ada', email: 'ada@example.com' }, 1);
    expect(v1).toEqual(envelope('ordersource.customer.registered.v1', 'c-1', '1', { customerId: 'c-1' }));
  });

  it('publishes nothing for events that have no integration event', () => {
    expect(read(ORDER, 9, 'RefundRecorded', { amountCents: 1, paymentRef: 'p' })).toBeUndefined();
    expect(read('CustomerEmail-abc', 1, 'CustomerEmailClaimed', { customerId: 'c-1' })).toBeUndefined();
  });
});
