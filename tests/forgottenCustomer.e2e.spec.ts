import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { stopTestServers, useTestServer } from './support/testServer.js';

// A forgotten customer's token may still be valid for a while: it can read, and change nothing.
// And forgetting is final for orders too: no order of theirs commits after CustomerForgotten, however
// createOrder races it.
const server = useTestServer();
afterAll(() => stopTestServers());

async function registeredCustomer(): Promise<{ id: string; client: ApiClient }> {
  const result = await command(apiClient(server), 'registerCustomer', { name: 'Forgettable', email: `${unique('f')}@example.com` });
  return { id: result.customer.id, client: apiClient(server, result.token) };
}

describe('a forgotten customer', () => {
  it('can read with their token but is refused every order mutation with FORBIDDEN', async () => {
    const staff = await clientAs(server, 'staff', 'staff-1');
    const sku = unique('sku');
    await command(staff, 'addProduct', { sku, name: 'Thing', priceCents: 100, initialStock: 10 });
    const customer = await registeredCustomer();
    const draft = newOrderId();
    const submitted = newOrderId();
    await command(customer.client, 'createOrder', { customerId: customer.id, orderId: draft });
    await command(customer.client, 'addItem', { orderId: draft, sku, quantity: 1 });
    await command(customer.client, 'createOrder', { customerId: customer.id, orderId: submitted });
    await command(customer.client, 'addItem', { orderId: submitted, sku, quantity: 1 });
    await command(customer.client, 'submitOrder', { orderId: submitted });
    expect((await command(customer.client, 'forgetCustomer', { customerId: customer.id })).__typename).toBe('ForgetCustomerSuccess');

    const refused = await Promise.all([
      command(customer.client, 'createOrder', { customerId: customer.id, orderId: newOrderId() }),
      command(customer.client, 'addItem', { orderId: draft, sku, quantity: 1 }),
      command(customer.client, 'removeItem', { orderId: draft, sku }),
      command(customer.client, 'submitOrder', { orderId: draft }),
      command(customer.client, 'cancelOrder', { orderId: submitted, reason: 'bot' }),
    ]);
    expect(refused.map((r) => r.code)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    const read = await customer.client.run<{ order: { status: string } }>(`query($id: ID!) { order(id: $id) { status } }`, {
      id: submitted,
    });
    expect(read.order.status).toBe('SUBMITTED');
  });

  it('gets no order committed after CustomerForgotten, however many createOrder calls race the forget', async () => {
    const customer = await registeredCustomer();
    const creates = Array.from({ length: 30 }, () =>
      command(customer.client, 'createOrder', { customerId: customer.id, orderId: newOrderId() }),
    );
    const forget = command(customer.client, 'forgetCustomer', { customerId: customer.id });
    const more = Array.from({ length: 30 }, () =>
      command(customer.client, 'createOrder', { customerId: customer.id, orderId: newOrderId() }),
    );
    const [forgotten, ...results] = await Promise.all([forget, ...creates, ...more]);
    expect(forgotten!.__typename).toBe('ForgetCustomerSuccess');
    const forgottenAt = BigInt(forgotten!.position);
    for (const result of results) {
      if (result.__typename === 'CreateOrderSuccess') expect(BigInt(result.position)).toBeLessThan(forgottenAt);
      else expect(result.code).toBe('FORBIDDEN');
    }
    const after = await command(customer.client, 'createOrder', { customerId: customer.id, orderId: newOrderId() });
    expect(after.code).toBe('FORBIDDEN');
  });
});
