import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

describe('the order lifecycle over HTTP', () => {
  it('takes a customer from registration through payment, shipping and delivery, moving stock along', async () => {
    const registered = await command(apiClient(server), 'registerCustomer', { name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(registered).toMatchObject({
      __typename: 'RegisterCustomerSuccess',
      version: 1,
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    expect(registered.aggregateId).toBe(registered.customer.id);
    const customer = apiClient(server, registered.token);
    const paymentService = await clientAs(server, 'payments', 'psp-lifecycle');
    const orderId = newOrderId();

    const book = await command(staff, 'addProduct', { sku: 'BOOK-1', name: 'Notes on the Engine', priceCents: 1250, initialStock: 5 });
    expect(book).toMatchObject({
      __typename: 'AddProductSuccess',
      aggregateId: 'BOOK-1',
      product: { onHand: 5, reserved: 0, available: 5 },
    });
    await command(staff, 'addProduct', { sku: 'PEN-1', name: 'Pen', priceCents: 300, initialStock: 10 });

    const created = await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
    expect(created).toMatchObject({
      __typename: 'CreateOrderSuccess',
      aggregateId: orderId,
      version: 1,
      events: [{ type: 'OrderCreated', version: 1 }],
    });
    expect(created.order).toMatchObject({ id: orderId, customerId: registered.customer.id, status: 'DRAFT', items: [], totalCents: 0 });

    await command(customer, 'addItem', { orderId, sku: 'BOOK-1', quantity: 2 });
    const added = await command(customer, 'addItem', { orderId, sku: 'PEN-1', quantity: 3, expectedVersion: 2 });
    expect(added.order).toMatchObject({ itemCount: 5, totalCents: 2 * 1250 + 3 * 300, version: 3 });
    expect(added.order.items).toEqual([
      { sku: 'BOOK-1', name: 'Notes on the Engine', quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500 },
      { sku: 'PEN-1', name: 'Pen', quantity: 3, unitPriceCents: 300, lineTotalCents: 900 },
    ]);
    const removed = await command(customer, 'removeItem', { orderId, sku: 'PEN-1', quantity: 1 });
    expect(removed.order).toMatchObject({ itemCount: 4, totalCents: 3100 });

    const submitted = await command(customer, 'submitOrder', { orderId });
    expect(submitted.order.status).toBe('SUBMITTED');
    expect(submitted.events.map((e: { type: string }) => e.type)).toEqual([
      'OrderSubmitted',
      'StockReserved',
      'StockReserved',
      'OrderHoldTaken',
    ]);
    expect(BigInt(submitted.position)).toBe(BigInt(submitted.events.at(-1).position));
    expect(await command(staff, 'restockProduct', { sku: 'BOOK-1', quantity: 1 })).toMatchObject({
      product: { onHand: 6, reserved: 2, available: 4 },
    });

    const paid = await command(paymentService, 'recordPayment', { orderId, amountCents: 3100, paymentRef: 'pay-1' });
    expect(paid.order.status).toBe('PAID');
    const shipped = await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: 'TRACK-1' });
    expect(shipped.order.status).toBe('SHIPPED');
    expect(await command(staff, 'restockProduct', { sku: 'BOOK-1', quantity: 1 })).toMatchObject({
      product: { onHand: 5, reserved: 0, available: 5 },
    });
    const delivered = await command(staff, 'deliverOrder', { orderId });
    expect(delivered.order).toMatchObject({ status: 'DELIVERED', version: 8 });
  });

  it('releases reserved stock when a submitted order is cancelled, and records a refund for a paid one', async () => {
    const customer = await clientAs(server, 'customer', 'cust-cancel');
    const registered = await command(apiClient(server), 'registerCustomer', { name: 'Grace', email: 'grace@example.com' });
    const owner = await clientAs(server, 'customer', registered.customer.id);
    await command(staff, 'addProduct', { sku: 'MUG-1', name: 'Mug', priceCents: 800, initialStock: 4 });
    const [submittedOrder, paidOrder] = [newOrderId(), newOrderId()];
    for (const orderId of [submittedOrder, paidOrder]) {
      await command(owner, 'createOrder', { customerId: registered.customer.id, orderId });
      await command(owner, 'addItem', { orderId, sku: 'MUG-1', quantity: 2 });
      await command(owner, 'submitOrder', { orderId });
    }
    await command(staff, 'recordPayment', { orderId: paidOrder, amountCents: 1600, paymentRef: 'pay-2' });

    const cancelled = await command(owner, 'cancelOrder', { orderId: submittedOrder, reason: 'changed my mind' });
    expect(cancelled.events.map((e: { type: string }) => e.type)).toEqual(['OrderCancelled', 'StockReleased']);
    expect((await command(owner, 'cancelOrder', { orderId: paidOrder, reason: 'too late' })).code).toBe('FORBIDDEN');
    const refunded = await command(staff, 'cancelOrder', { orderId: paidOrder, reason: 'customer asked' });
    expect(refunded.events.map((e: { type: string }) => e.type)).toEqual(['OrderCancelled', 'RefundRecorded', 'StockReleased']);
    expect(await command(staff, 'restockProduct', { sku: 'MUG-1', quantity: 1 })).toMatchObject({ product: { onHand: 5, reserved: 0 } });
    expect((await command(customer, 'cancelOrder', { orderId: submittedOrder, reason: 'x' })).code).toBe('NOT_FOUND');
  });
});
