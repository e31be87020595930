import { describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { useTestServer } from './support/testServer.js';

const server = useTestServer();

const SHIPMENT = 'shipment { carrier trackingNumber shippedAt }';

async function paidOrder(staff: ApiClient): Promise<string> {
  const sku = unique('SHIP');
  await command(staff, 'addProduct', { sku, name: 'Parcel tape', priceCents: 300, initialStock: 5 });
  const customerId = (await command(apiClient(server), 'registerCustomer', { name: 'Lin', email: `${unique('lin')}@example.com` })).customer
    .id;
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId, orderId });
  await command(staff, 'addItem', { orderId, sku, quantity: 1 });
  await command(staff, 'submitOrder', { orderId });
  await command(staff, 'recordPayment', { orderId, amountCents: 300, paymentRef: unique('pay') });
  return orderId;
}

describe('Order.shipment', () => {
  it('is null until the order ships, then carries the carrier, tracking number and time, also once delivered', async () => {
    const staff = await clientAs(server, 'staff', 'shipment-e2e');
    const orderId = await paidOrder(staff);
    const read = async () =>
      (await staff.run(`query($id: ID!) { order(id: $id) { status ${SHIPMENT} } }`, { id: orderId })).order as Record<string, unknown>;
    await expect.poll(read).toEqual({ status: 'PAID', shipment: null });

    const shipped = await command(
      staff,
      'shipOrder',
      { orderId, carrier: 'DHL', trackingNumber: 'JD014600006281' },
      `... on ShipOrderSuccess { order { ${SHIPMENT} } }`,
    );
    const shipment = { carrier: 'DHL', trackingNumber: 'JD014600006281', shippedAt: expect.any(String) };
    // The command's own answer already shows it (read once the read side has the event).
    expect(shipped.order.shipment).toEqual(shipment);
    await command(staff, 'deliverOrder', { orderId });
    await expect.poll(read).toEqual({ status: 'DELIVERED', shipment });
    expect(Date.parse(shipped.order.shipment.shippedAt)).not.toBeNaN();
  });
});
