import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { useBrowser, WAIT_MS } from './support/browser.js';
import { holdablePushes, stillSameDocument, useDashboardPages, type HeldPushes } from './support/dashboardPage.js';
import { useTestServer } from './support/testServer.js';

// Staff working from the dashboard: every action is the API's mutation, given in a real browser
// against a real server, and the page follows the result live.

let staff: ApiClient;
const server = useTestServer();
const browser = useBrowser();
const pages = useDashboardPages(server, browser);
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'back-office-e2e');
});

/** A customer's submitted order for two units of a fresh product (29.00 in all). */
async function submittedOrder(): Promise<{ orderId: string; customerName: string }> {
  const sku = unique('BO');
  await command(staff, 'addProduct', { sku, name: 'Desk lamp', priceCents: 1450, initialStock: 8 });
  const customerName = `Ada ${unique('L')}`;
  const registered = await command(apiClient(server), 'registerCustomer', { name: customerName, email: `${unique('ada')}@example.com` });
  const customer = apiClient(server, registered.token);
  const orderId = newOrderId();
  await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(customer, 'addItem', { orderId, sku, quantity: 2 });
  await command(customer, 'submitOrder', { orderId });
  return { orderId, customerName };
}

/** Opens an order's panel from the orders table. */
async function openOrder(orderId: string, prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await pages.open(`/orders/${orderId}`, staff.token!, undefined, prepare);
  await page.waitForSelector('[data-testid="order-actions"]', { timeout: WAIT_MS });
  return page;
}

const rowStatus = (page: Page, orderId: string) => page.getAttribute(`tr[data-order-id="${orderId}"]`, 'data-status');
const action = (page: Page, name: string) => page.locator(`[data-testid="order-actions"] form[data-action="${name}"]`);

describe('the back office', () => {
  it('lets staff record the payment and ship the order, which turns SHIPPED with its shipment, without a reload', async () => {
    const { orderId, customerName } = await submittedOrder();
    const page = await openOrder(orderId);
    // The customer by name, not by id.
    await expect
      .poll(() => page.textContent(`tr[data-order-id="${orderId}"] [data-testid="order-customer"]`), { timeout: WAIT_MS })
      .toBe(customerName);
    expect(await action(page, 'ship').getByRole('button').isDisabled()).toBe(true);

    await action(page, 'pay').getByLabel('Payment reference').fill(unique('pay'));
    await action(page, 'pay').getByRole('button').click();
    await expect.poll(() => rowStatus(page, orderId), { timeout: WAIT_MS }).toBe('PAID');

    const ship = action(page, 'ship');
    await expect.poll(() => ship.getByRole('button').isDisabled(), { timeout: WAIT_MS }).toBe(false);
    await ship.getByLabel('Carrier').fill('DHL');
    await ship.getByLabel('Tracking number').fill('JD014600006281');
    await ship.getByRole('button').click();

    await expect.poll(() => rowStatus(page, orderId), { timeout: WAIT_MS }).toBe('SHIPPED');
    await expect.poll(() => page.textContent('[data-testid="timeline"] .badge'), { timeout: WAIT_MS }).toBe('SHIPPED');
    expect(await page.textContent('[data-testid="shipment"]')).toContain('JD014600006281');
    // Shipped: it can be delivered, no longer shipped, paid or cancelled.
    expect(await action(page, 'deliver').getByRole('button').isDisabled()).toBe(false);
    for (const name of ['pay', 'ship', 'cancel']) expect(await action(page, name).getByRole('button').isDisabled()).toBe(true);
    const order = (await staff.run('query($id: ID!) { order(id: $id) { status shipment { carrier trackingNumber } } }', { id: orderId }))
      .order;
    expect(order).toEqual({ status: 'SHIPPED', shipment: { carrier: 'DHL', trackingNumber: 'JD014600006281' } });
    expect(await stillSameDocument(page)).toBe(true);
    await pages.close(page);
  });

  it('says why an unpaid order cannot be shipped: disabled with the reason, and the server refusal in words when the order moved on unseen', async () => {
    const { orderId } = await submittedOrder();
    let pushes: HeldPushes | undefined;
    const page = await openOrder(orderId, async (opening) => {
      pushes = await holdablePushes(opening);
    });
    const ship = action(page, 'ship');
    expect(await ship.getByRole('button').isDisabled()).toBe(true);
    expect(await ship.getByTestId('action-unavailable').textContent()).toBe('Only a PAID order can be shipped; this one is SUBMITTED.');

    // Paid, and the page sees it; then cancelled (with a refund) while the page hears nothing.
    await command(staff, 'recordPayment', { orderId, amountCents: 2900, paymentRef: unique('pay') });
    await expect.poll(() => ship.getByRole('button').isDisabled(), { timeout: WAIT_MS }).toBe(false);
    pushes!.hold();
    await command(staff, 'cancelOrder', { orderId, reason: 'fraud check failed' });
    await ship.getByLabel('Carrier').fill('DHL');
    await ship.getByLabel('Tracking number').fill('JD014600006282');
    await ship.getByRole('button').click();
    await expect
      .poll(() => ship.getByTestId('command-refusal').textContent(), { timeout: WAIT_MS })
      .toBe('INVALID_STATE: cannot ship an order that is CANCELLED (it must be PAID)');
    // The pushes arrive: the order shows CANCELLED, and shipping is disabled with the reason.
    pushes!.release();
    await expect.poll(() => ship.getByRole('button').isDisabled(), { timeout: WAIT_MS }).toBe(true);
    expect(await rowStatus(page, orderId)).toBe('CANCELLED');
    await pages.close(page);
  });

  it('lets staff add a product and restock it, and the inventory shows the stock live', async () => {
    const page = await pages.open('/inventory', staff.token!, () => server.services.liveFeed.listenerCount('product'));
    const sku = unique('LAMP');
    const form = page.getByTestId('add-product');
    await form.getByLabel('SKU').fill(sku);
    await form.getByLabel('Name').fill('Reading lamp');
    await form.getByLabel('Price').fill('24.50');
    await form.getByLabel('Initial stock').fill('3');
    await form.getByRole('button').click();
    const row = page.locator(`tr[data-sku="${sku}"]`);
    await expect.poll(() => row.getAttribute('data-available'), { timeout: WAIT_MS }).toBe('3');

    await row.getByLabel(`Units to add to ${sku}`).fill('4');
    await row.getByRole('button', { name: 'Restock' }).click();
    await expect.poll(() => row.getAttribute('data-available'), { timeout: WAIT_MS }).toBe('7');
    const product = async () => (await staff.run('query($sku: String!) { product(sku: $sku) { priceCents onHand } }', { sku })).product;
    await expect.poll(product, { timeout: WAIT_MS }).toEqual({ priceCents: 2450, onHand: 7 });

    // The same sku again: the typed refusal, in words.
    await form.getByLabel('SKU').fill(sku);
    await form.getByLabel('Name').fill('Another lamp');
    await form.getByLabel('Price').fill('1');
    await form.getByRole('button').click();
    await expect.poll(() => form.getByTestId('command-refusal').textContent(), { timeout: WAIT_MS }).toMatch(/^SKU_TAKEN: /);
    expect(await stillSameDocument(page)).toBe(true);
    await pages.close(page);
  });
});
