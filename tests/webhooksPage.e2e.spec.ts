import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, command, unique, type ApiClient } from './support/api.js';
import { useBrowser, WAIT_MS } from './support/browser.js';
import { useDashboardPages } from './support/dashboardPage.js';
import { useTestServer } from './support/testServer.js';
import { WebhookReceiver, type Answer } from './support/webhookReceiver.js';

// An admin looks after webhooks from the dashboard, in a real browser against a real server that
// posts to real receivers in this test: endpoints, their deliveries and attempts, dead letters.

let admin: ApiClient;
let staff: ApiClient;
const server = useTestServer({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_RETRY_SCHEDULE: '100ms,200ms' });
const browser = useBrowser();
const pages = useDashboardPages(server, browser);
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  admin = await clientAs(server, 'admin', 'webhooks-page-e2e');
  staff = await clientAs(server, 'staff', 'webhooks-page-e2e');
});
afterAll(() => Promise.all(receivers.map((r) => r.stop())));

async function receiver(answer: Answer): Promise<WebhookReceiver> {
  const started = await new WebhookReceiver(answer).start();
  receivers.push(started);
  return started;
}

/** The admin's dashboard, on the webhooks page reached from the header's link. */
async function openWebhooksPage(): Promise<Page> {
  const page = await pages.open('/', admin.token!);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForSelector('[data-testid="add-webhook-endpoint"]', { timeout: WAIT_MS });
  return page;
}

/** Adds an endpoint for `target` from the page's form; the secret the page shows once goes to the receiver. */
async function addEndpoint(page: Page, target: WebhookReceiver, description: string): Promise<string> {
  const form = page.getByTestId('add-webhook-endpoint');
  await form.getByLabel('URL').fill(target.url);
  await form.getByLabel('Event types').fill('ordersource.product.added.v1');
  await form.getByLabel('Description').fill(description);
  await form.getByRole('button').click();
  const secret = await page.getByTestId('webhook-secret').textContent({ timeout: WAIT_MS });
  expect(secret).toMatch(/^whsec_/);
  target.secret = secret!;
  const { webhookEndpoints } = await admin.run('{ webhookEndpoints { id description } }');
  const endpoint = (webhookEndpoints as { id: string; description: string }[]).find((e) => e.description === description)!;
  await page.waitForSelector(`tr[data-endpoint-id="${endpoint.id}"][data-enabled="true"]`, { timeout: WAIT_MS });
  return endpoint.id;
}

const deliveryOf = (page: Page, sku: string) => page.locator(`[data-testid="webhook-delivery"][data-subject="${sku}"]`);

describe('the webhooks page', () => {
  it('lets an admin add an endpoint, shows its secret once, and shows each delivery with its attempt as it arrives', async () => {
    const target = await receiver(() => 204);
    const page = await openWebhooksPage();
    const endpointId = await addEndpoint(page, target, unique('healthy'));

    const sku = unique('HOOK');
    await command(staff, 'addProduct', { sku, name: 'Desk clock', priceCents: 1900, initialStock: 4 });
    await expect.poll(() => target.firstAcceptances().filter((e) => e.subject === sku).length, { timeout: WAIT_MS }).toBe(1);
    await expect.poll(() => deliveryOf(page, sku).getAttribute('data-status'), { timeout: WAIT_MS }).toBe('DELIVERED');
    expect(await deliveryOf(page, sku).getByTestId('webhook-attempt').getAttribute('data-status-code')).toBe('204');
    await expect.poll(() => page.getAttribute(`tr[data-endpoint-id="${endpointId}"]`, 'data-lag'), { timeout: WAIT_MS }).toBe('0');
    expect(target.unverified).toBe(0);
    // The other targets come from the admin API: neither the event bus nor email is configured here.
    await page.waitForSelector('[data-testid="reaction-target"][data-kind="eventBus"]', { timeout: WAIT_MS });
    expect(await page.getByTestId('reaction-targets').textContent()).toContain('Customer emails: off');
    await pages.close(page);
  });

  it("ends a failing receiver's deliveries DEAD with each attempt's answer, and redelivering one, then all, brings them through", async () => {
    const target = await receiver(() => 500);
    const page = await openWebhooksPage();
    const endpointId = await addEndpoint(page, target, unique('failing'));
    const skus = [unique('DEAD'), unique('DEAD')];
    for (const sku of skus) await command(staff, 'addProduct', { sku, name: 'Wall clock', priceCents: 2500, initialStock: 2 });

    const row = page.locator(`tr[data-endpoint-id="${endpointId}"]`);
    await expect.poll(() => row.getAttribute('data-dead'), { timeout: WAIT_MS }).toBe('2');
    // The dead letters, with every attempt: the first and the two retries the schedule allows.
    await row.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByLabel('Delivery status').selectOption('DEAD');
    for (const sku of skus) {
      await expect.poll(() => deliveryOf(page, sku).getAttribute('data-status'), { timeout: WAIT_MS }).toBe('DEAD');
      const attempts = deliveryOf(page, sku).getByTestId('webhook-attempt');
      expect(await attempts.count()).toBe(3);
      expect(await attempts.first().getAttribute('data-status-code')).toBe('500');
      expect(await attempts.first().textContent()).toContain('not now');
    }

    // The receiver recovers; the admin sends one dead letter again, then all that are left.
    target.answerWith(() => 204);
    await page.getByLabel('Delivery status').selectOption('');
    await deliveryOf(page, skus[0]!).getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => deliveryOf(page, skus[0]!).getAttribute('data-status'), { timeout: WAIT_MS }).toBe('DELIVERED');
    await expect.poll(() => row.getAttribute('data-dead'), { timeout: WAIT_MS }).toBe('1');
    await row.getByRole('button', { name: 'Redeliver all dead' }).click();
    await expect.poll(() => deliveryOf(page, skus[1]!).getAttribute('data-status'), { timeout: WAIT_MS }).toBe('DELIVERED');
    await expect.poll(() => row.getAttribute('data-dead'), { timeout: WAIT_MS }).toBe('0');
    expect(
      target
        .firstAcceptances()
        .map((e) => e.subject)
        .sort(),
    ).toEqual([...skus].sort());
    await pages.close(page);
  });

  it('shows an endpoint disabled by a 410 with the reason, and lets the admin enable it again', async () => {
    const target = await receiver(() => 410);
    const page = await openWebhooksPage();
    const endpointId = await addEndpoint(page, target, unique('gone'));
    await command(staff, 'addProduct', { sku: unique('GONE'), name: 'Alarm clock', priceCents: 1200, initialStock: 1 });
    const row = page.locator(`tr[data-endpoint-id="${endpointId}"]`);
    await expect.poll(() => row.getAttribute('data-enabled'), { timeout: WAIT_MS }).toBe('false');
    const { webhookEndpoints } = await admin.run('{ webhookEndpoints { id disabledReason } }');
    const { disabledReason } = (webhookEndpoints as { id: string; disabledReason: string }[]).find((e) => e.id === endpointId)!;
    expect(disabledReason).toBeTruthy();
    expect(await row.textContent()).toContain(disabledReason);

    // The receiver is back (answering 410 again would disable the endpoint again at once).
    target.answerWith(() => 204);
    await row.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => row.getAttribute('data-enabled'), { timeout: WAIT_MS }).toBe('true');
    await pages.close(page);
  });

  it('is not offered to staff, and its address shows them no webhooks', async () => {
    const page = await pages.open('/', staff.token!);
    expect(await page.getByRole('link', { name: 'Projections' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await page.evaluate(() => {
      window.history.pushState(null, '', '/dashboard/webhooks');
      window.dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.waitForSelector('[data-testid="admin-only"]', { timeout: WAIT_MS });
    expect(await page.locator('[data-testid="add-webhook-endpoint"], [data-testid="webhook-deliveries"]').count()).toBe(0);
    await pages.close(page);
  });
});
