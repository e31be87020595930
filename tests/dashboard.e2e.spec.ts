import { randomUUID } from 'node:crypto';
import type { ElementHandle, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { apiClient, clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { useBrowser, WAIT_MS } from './support/browser.js';
import { feedSubscribers as feedSubscribersOf, stillSameDocument, useDashboardPages } from './support/dashboardPage.js';
import { useTestServer } from './support/testServer.js';

// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// a real server. Orders are changed over HTTP by other clients; the page must show them live.

let staff: ApiClient;
let staffToken: string;
const server = useTestServer();
const browser = useBrowser();
const pages = useDashboardPages(server, browser);
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'dashboard-e2e');
  staffToken = staff.token!;
});

const dashboardUrl = () => new URL('/dashboard', server.app.url).href;
const feedSubscribers = () => feedSubscribersOf(server);
/** Opens the dashboard signed in as staff (or with `token`), and waits until its live feed is subscribed on the server. */
const openDashboard = (path = '', token = staffToken) => pages.open(path, token);
const close = (page: Page) => pages.close(page);

/** A registered customer with a submitted order for one unit of a fresh product. */
async function submittedOrder(): Promise<{ customer: ApiClient; orderId: string; sku: string }> {
  const sku = unique('DASH');
  await command(staff, 'addProduct', { sku, name: 'Field notebook', priceCents: 1450, initialStock: 8 });
  const registered = await command(apiClient(server), 'registerCustomer', { name: 'Ada', email: `${unique('ada')}@example.com` });
  const customer = apiClient(server, registered.token);
  const orderId = newOrderId();
  await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(customer, 'addItem', { orderId, sku, quantity: 2 });
  expect((await command(customer, 'submitOrder', { orderId })).order.status).toBe('SUBMITTED');
  return { customer, orderId, sku };
}

/** Waits until every projection has applied every event in the log, as the API reports it. */
async function projectionsCaughtUp(): Promise<{ name: string; status: string; lag: number }[]> {
  const read = async () =>
    (await staff.run('{ projections { name status lag } }')).projections as { name: string; status: string; lag: number }[];
  await expect.poll(async () => (await read()).every((p) => p.status === 'RUNNING' && p.lag === 0), { timeout: WAIT_MS }).toBe(true);
  return read();
}

/** The projections panel's rows as [name, status, lag], read from the page. */
const projectionRows = (page: Page) =>
  page.$$eval('[data-testid="projection-row"]', (rows) =>
    rows.map((row) => [row.getAttribute('data-name'), row.getAttribute('data-status'), row.getAttribute('data-lag')]),
  );

async function orderRow(page: Page, orderId: string): Promise<ElementHandle> {
  return (await page.waitForSelector(`tr[data-order-id="${orderId}"]`, { timeout: WAIT_MS }))!;
}

describe('the live dashboard in a browser', () => {
  it('takes the staff token from the address, then drops it from the address bar', async () => {
    const page = await openDashboard();
    expect(new URL(page.url()).search).toBe('');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await close(page);
  });

  it('shows an order placed after the page opened, and changes its status in place without a reload', async () => {
    const page = await openDashboard();
    const { orderId } = await submittedOrder();

    const row = await orderRow(page, orderId);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: WAIT_MS }).toBe('SUBMITTED');
    expect(await page.$eval('[data-testid="orders-table"] tbody tr', (first) => first.getAttribute('data-order-id'))).toBe(orderId);

    await command(staff, 'recordPayment', { orderId, amountCents: 2900, paymentRef: unique('pay') });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: WAIT_MS }).toBe('PAID');
    await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: unique('track') });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: WAIT_MS }).toBe('SHIPPED');

    // The same table row, in the same document: changed in place, not re-rendered by a reload.
    expect(await row.evaluate((el) => el.isConnected && el.textContent?.includes('SHIPPED'))).toBe(true);
    expect(await page.$$(`tr[data-order-id="${orderId}"]`)).toHaveLength(1);
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it("opens an order's timeline, which shows each event's data and grows as the order moves on", async () => {
    const page = await openDashboard();
    const { orderId, sku } = await submittedOrder();
    await (await orderRow(page, orderId)).$eval('a', (link) => (link as HTMLAnchorElement).click());

    await page.waitForSelector('[data-testid="timeline"]', { timeout: WAIT_MS });
    expect(new URL(page.url()).pathname).toBe(`/dashboard/orders/${orderId}`);
    const types = () => page.$$eval('[data-testid="timeline-entry"]', (entries) => entries.map((e) => e.getAttribute('data-type')));
    await expect.poll(types, { timeout: WAIT_MS }).toEqual(['OrderCreated', 'ItemAdded', 'OrderSubmitted']);
    // The event's data exactly as the log holds it, every field shown.
    const itemData = JSON.parse((await page.textContent('[data-type="ItemAdded"] [data-testid="event-data"]'))!);
    expect(itemData).toEqual({ sku, name: 'Field notebook', quantity: 2, unitPriceCents: 1450 });

    await command(staff, 'recordPayment', { orderId, amountCents: 2900, paymentRef: unique('pay') });
    await expect.poll(types, { timeout: WAIT_MS }).toEqual(['OrderCreated', 'ItemAdded', 'OrderSubmitted', 'PaymentRecorded']);
    await command(staff, 'cancelOrder', { orderId, reason: 'out of ink' });
    await expect
      .poll(types, { timeout: WAIT_MS })
      .toEqual(['OrderCreated', 'ItemAdded', 'OrderSubmitted', 'PaymentRecorded', 'OrderCancelled', 'RefundRecorded']);
    expect(await page.textContent('[data-testid="timeline"] .badge')).toBe('CANCELLED');
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it('moves the sales chart when an order is paid, without a reload', async () => {
    const { orderId } = await submittedOrder();
    await projectionsCaughtUp();
    const page = await openDashboard();
    // Both live feeds of the screen are subscribed: the orders table's and the chart's.
    await expect.poll(feedSubscribers, { timeout: WAIT_MS }).toBe(2);
    await page.waitForSelector('[data-testid="sales-chart"][data-loaded="true"] svg.recharts-surface', { timeout: WAIT_MS });
    const paid = async () => Number(await page.textContent('[data-testid="sales-paid"]'));
    const paidInTable = () =>
      page.$$eval('[data-testid="sales-table"] tbody tr', (rows) =>
        rows.reduce((sum, row) => sum + Number(row.getAttribute('data-paid')), 0),
      );
    const before = await paid();
    expect(await paidInTable()).toBe(before);

    await command(staff, 'recordPayment', { orderId, amountCents: 2900, paymentRef: unique('pay') });
    await expect.poll(paid, { timeout: WAIT_MS }).toBe(before + 1);
    expect(await paidInTable()).toBe(before + 1);
    // The payment's bucket is drawn: a bar of revenue stands in the chart.
    await page.waitForSelector('[data-testid="sales-chart"] .recharts-bar-rectangle path', { timeout: WAIT_MS });

    await page.click('[data-testid="sales-chart"] button:has-text("Last day")');
    await page.waitForSelector('[data-testid="sales-chart"][data-span="day"]', { timeout: WAIT_MS });
    await expect.poll(async () => (await page.$$('[data-testid="sales-table"] tbody tr')).length, { timeout: WAIT_MS }).toBe(24);
    await expect.poll(paid, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(before + 1);
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it('lists every projection RUNNING at lag 0, with no retry or skip for staff', async () => {
    const projections = await projectionsCaughtUp();
    const page = await openDashboard();
    await page.click('nav >> text=Projections');
    await page.waitForSelector('[data-testid="projections-table"]', { timeout: WAIT_MS });
    expect(new URL(page.url()).pathname).toBe('/dashboard/projections');
    await expect.poll(() => projectionRows(page), { timeout: WAIT_MS }).toEqual(projections.map((p) => [p.name, 'RUNNING', '0']));
    expect(await page.$$('[data-testid="projections-table"] button')).toHaveLength(0);
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it('gives an admin retry and skip on a FAILED projection, and skipping the event it failed on sets it running again', async () => {
    const admin = await clientAs(server, 'admin', 'dashboard-admin');
    const page = await openDashboard('', admin.token!);
    await page.click('nav >> text=Projections');
    await page.waitForSelector('[data-testid="projections-table"]', { timeout: WAIT_MS });

    const customerId = (await command(staff, 'registerCustomer', { name: 'Poe', email: `${unique('poe')}@example.com` })).customer.id;
    const orderId = newOrderId();
    await command(staff, 'createOrder', { customerId, orderId });
    // An item event the orders projection cannot apply (a quantity that is not a number).
    await server.services.eventStore.append({
      streams: [
        {
          streamId: `Order-${orderId}`,
          streamType: 'Order',
          expectedVersion: 1,
          events: [{ type: 'ItemAdded', data: { sku: 'X', name: 'Bad', quantity: 'lots', unitPriceCents: 1 } }],
        },
      ],
    });
    const failed = await page.waitForSelector('[data-testid="projection-row"][data-name="orders"][data-status="FAILED"]', {
      timeout: WAIT_MS,
    });
    expect(await failed.$$eval('button', (buttons) => buttons.map((b) => b.textContent))).toEqual(['Retry', 'Skip event…']);
    expect(await failed.$eval('.projection-error', (cell) => cell.textContent)).not.toBe('');

    await (await failed.$('button:has-text("Skip event")'))!.click();
    await (await failed.$('button:has-text("Skip it")'))!.click();
    await expect
      .poll(() => projectionRows(page), { timeout: WAIT_MS })
      .toEqual((await projectionsCaughtUp()).map((p) => [p.name, 'RUNNING', '0']));
    expect(await page.$$('[data-testid="projections-table"] button')).toHaveLength(0);
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it("finds a customer's orders by surname in the search box, and opens one", async () => {
    const page = await openDashboard();
    const surname = `Hopper${randomUUID().slice(0, 8)}`;
    const registered = await command(apiClient(server), 'registerCustomer', {
      name: `Grace ${surname}`,
      email: `${unique('grace')}@example.com`,
    });
    const customer = apiClient(server, registered.token);
    const orderIds = [newOrderId(), newOrderId()];
    let position = '0';
    for (const orderId of orderIds)
      position = (await command(customer, 'createOrder', { customerId: registered.customer.id, orderId })).position;
    // The search index has the orders before the page asks (the page itself sends no position).
    await staff.run('query($q: String!, $p: String) { searchOrders(query: $q, consistentWith: $p) { totalCount } }', {
      q: surname,
      p: position,
    });

    await page.fill('input[type="search"]', surname.toLowerCase());
    await page.press('input[type="search"]', 'Enter');
    await page.waitForSelector('[data-testid="search-results"]', { timeout: WAIT_MS });
    const results = () => page.$$eval('[data-testid="search-result"]', (rows) => rows.map((row) => row.getAttribute('data-result-id')));
    await expect.poll(async () => (await results()).sort(), { timeout: WAIT_MS }).toEqual([...orderIds].sort());
    expect(await page.textContent('[data-testid="search-count"]')).toBe('2 matches');
    expect(await page.$$eval('[data-testid="search-result"] td:nth-child(2)', (cells) => cells.map((c) => c.textContent))).toEqual([
      `Grace ${surname}`,
      `Grace ${surname}`,
    ]);

    await page.$eval(`[data-result-id="${orderIds[0]}"] a`, (link) => (link as HTMLAnchorElement).click());
    await page.waitForSelector('[data-testid="timeline"]', { timeout: WAIT_MS });
    expect(new URL(page.url()).pathname).toBe(`/dashboard/orders/${orderIds[0]}`);

    await page.fill('input[type="search"]', `nobody${randomUUID().slice(0, 8)}`);
    await page.press('input[type="search"]', 'Enter');
    await page.waitForSelector('text=No order matches', { timeout: WAIT_MS });
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it('shows stock changing in place on the inventory screen', async () => {
    const page = await openDashboard();
    const sku = unique('INK');
    await command(staff, 'addProduct', { sku, name: 'Ink', priceCents: 600, initialStock: 3 });
    const productSubscribers = server.services.liveFeed.listenerCount('product');
    await page.click('nav >> text=Inventory');
    await expect.poll(() => server.services.liveFeed.listenerCount('product'), { timeout: WAIT_MS }).toBeGreaterThan(productSubscribers);

    const row = (await page.waitForSelector(`tr[data-sku="${sku}"]`, { timeout: WAIT_MS }))!;
    expect(await row.getAttribute('data-available')).toBe('3');
    await command(staff, 'restockProduct', { sku, quantity: 4 });
    await expect.poll(() => row.getAttribute('data-available'), { timeout: WAIT_MS }).toBe('7');
    expect(await stillSameDocument(page)).toBe(true);
    await close(page);
  });

  it("sends a refused token back to the sign-in box with the server's reason, then signs in with a pasted one", async () => {
    // Claims staff, but signed with another secret: only the server can tell.
    const forged = await signAccessToken(
      { sub: 'mallory', role: 'staff' },
      { ...server.services.config.jwt, secret: 'not-the-server-secret-but-long-enough-to-sign' },
    );
    const page = await browser().newPage();
    await page.goto(`${dashboardUrl()}?token=${forged}`);
    const reason = await page.waitForSelector('[data-testid="sign-in-reason"]', { timeout: WAIT_MS });
    expect(await reason.textContent()).toBe('The server refused this token: UNAUTHENTICATED: the token is not valid');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.fill('textarea#token', `Bearer ${staffToken}`);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-testid="orders-table"]', { timeout: WAIT_MS });
    expect(await page.$('[data-testid="sign-in-reason"]')).toBeNull();
    await close(page);
  });

  it('turns a token with no dashboard role (payments) away before asking the server', async () => {
    const page = await browser().newPage();
    const paymentsToken = (await clientAs(server, 'payments', 'psp-dashboard')).token!;
    await page.goto(`${dashboardUrl()}?token=${paymentsToken}`);
    const reason = await page.waitForSelector('[data-testid="sign-in-reason"]', { timeout: WAIT_MS });
    expect(await reason.textContent()).toContain('needs a staff, admin or customer token');
    await close(page);
  });
});
