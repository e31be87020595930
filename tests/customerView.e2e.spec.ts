import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { useBrowser, WAIT_MS } from './support/browser.js';
import { stillSameDocument, useDashboardPages } from './support/dashboardPage.js';
import { useTestServer } from './support/testServer.js';

// A customer signed in to the dashboard: their own orders only, each status changing live.

let staff: ApiClient;
const server = useTestServer();
const browser = useBrowser();
const pages = useDashboardPages(server, browser);
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'customer-view-e2e');
});

/** A registered customer (with their token) and `count` submitted orders of theirs. */
async function customerWithOrders(count: number, sku: string): Promise<{ token: string; orderIds: string[] }> {
  const registered = await command(apiClient(server), 'registerCustomer', { name: 'Kim', email: `${unique('kim')}@example.com` });
  const customer = apiClient(server, registered.token);
  const orderIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = newOrderId();
    await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
    await command(customer, 'addItem', { orderId, sku, quantity: 1 });
    await command(customer, 'submitOrder', { orderId });
    orderIds.push(orderId);
  }
  return { token: registered.token, orderIds };
}

describe('the customer view', () => {
  it('shows a customer only their own orders, and a status change arrives live', async () => {
    const sku = unique('CV');
    await command(staff, 'addProduct', { sku, name: 'Mug', priceCents: 900, initialStock: 20 });
    const kim = await customerWithOrders(2, sku);
    const other = await customerWithOrders(1, sku);
    const following = () => kim.orderIds.reduce((sum, id) => sum + server.services.liveFeed.listenerCount(`order:${id}`), 0);

    const page = await pages.open('', kim.token, following);
    await expect.poll(following, { timeout: WAIT_MS }).toBe(2);
    const rows = () => page.$$eval('[data-testid="order-row"]', (trs) => trs.map((tr) => tr.getAttribute('data-order-id')).sort());
    expect(await rows()).toEqual([...kim.orderIds].sort());
    expect(await rows()).not.toContain(other.orderIds[0]);
    // No staff screens for a customer.
    expect(await page.$('nav')).toBeNull();

    const [paid] = kim.orderIds;
    await command(staff, 'recordPayment', { orderId: paid, amountCents: 900, paymentRef: unique('pay') });
    await expect.poll(() => page.getAttribute(`tr[data-order-id="${paid}"]`, 'data-status'), { timeout: WAIT_MS }).toBe('PAID');
    await command(staff, 'shipOrder', { orderId: paid, carrier: 'UPS', trackingNumber: '1Z999AA10123456784' });
    await expect.poll(() => page.getAttribute(`tr[data-order-id="${paid}"]`, 'data-status'), { timeout: WAIT_MS }).toBe('SHIPPED');
    expect(await page.getAttribute(`tr[data-order-id="${kim.orderIds[1]}"]`, 'data-status')).toBe('SUBMITTED');
    expect(await stillSameDocument(page)).toBe(true);
    await pages.close(page, following);
  });
});
