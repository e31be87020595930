import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { signAccessToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';

// `npx tsx dashboard/screenshot.ts [--url http://127.0.0.1:4000] [--out docs/dashboard.png]`, next to
// `npm start` on an empty database: places a few demo orders over HTTP, opens the dashboard in
// headless Chromium, moves one order on while the page watches, and saves a screenshot.

const { values } = parseArgs({
  options: { url: { type: 'string', default: 'http://127.0.0.1:4000' }, out: { type: 'string', default: 'docs/dashboard.png' } },
});
const graphqlUrl = new URL('/graphql', values.url).href;
const staffToken = await signAccessToken({ sub: 'alice', role: 'staff' }, loadConfig().jwt);

async function run(token: string | undefined, query: string, input: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables: { input } }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  const result = Object.values(body.data!)[0] as Record<string, any>;
  if (result.code) throw new Error(`${result.code}: ${result.message}`);
  return result;
}
const command = (token: string | undefined, name: string, input: Record<string, unknown>) =>
  run(
    token,
    `mutation($input: ${name[0]!.toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { ... on Error { code message } ... on CommandSuccess { position } } }`,
    input,
  );

const products = [
  { sku: 'BOOK-ENGINE', name: 'Notes on the Analytical Engine', priceCents: 2450, initialStock: 40 },
  { sku: 'PEN-FOUNTAIN', name: 'Fountain pen', priceCents: 3900, initialStock: 12 },
  { sku: 'INK-BLUE', name: 'Blue ink, 50 ml', priceCents: 850, initialStock: 60 },
  { sku: 'PAD-A5', name: 'Dotted notebook A5', priceCents: 1200, initialStock: 6 },
  { sku: 'LAMP-DESK', name: 'Desk lamp', priceCents: 5600, initialStock: 3 },
];
for (const product of products) await command(staffToken, 'addProduct', product);

const people = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth'];
const journeys = ['DELIVERED', 'SHIPPED', 'CANCELLED', 'PAID', 'SUBMITTED', 'PAID', 'DRAFT'];
const orders: { orderId: string; token: string; total: number; stage: string }[] = [];
for (const [i, name] of people.entries()) {
  const registered = await run(
    undefined,
    'mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { ... on RegisterCustomerSuccess { token customer { id } } ... on Error { code message } } }',
    {
      name,
      email: `${name.split(' ')[0]!.toLowerCase()}@example.com`,
    },
  );
  const orderId = `ord-${1001 + i}`;
  // Staff open the orders: only staff may choose readable order ids (a customer may choose only a UUID).
  await command(staffToken, 'createOrder', { customerId: registered.customer.id, orderId });
  const lines = [products[i % products.length]!, products[(i + 2) % products.length]!];
  let total = 0;
  for (const [n, product] of lines.entries()) {
    await command(registered.token, 'addItem', { orderId, sku: product.sku, quantity: n + 1 });
    total += product.priceCents * (n + 1);
  }
  orders.push({ orderId, token: registered.token, total, stage: journeys[i]! });
}
const advance = async (order: (typeof orders)[number], to: string) => {
  const steps = ['SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED'];
  if (to === 'DRAFT') return;
  if (to === 'CANCELLED') {
    await command(order.token, 'submitOrder', { orderId: order.orderId });
    return command(staffToken, 'cancelOrder', { orderId: order.orderId, reason: 'customer changed their mind' });
  }
  for (const step of steps.slice(0, steps.indexOf(to) + 1)) {
    if (step === 'SUBMITTED') await command(order.token, 'submitOrder', { orderId: order.orderId });
    if (step === 'PAID')
      await command(staffToken, 'recordPayment', { orderId: order.orderId, amountCents: order.total, paymentRef: `pay-${order.orderId}` });
    if (step === 'SHIPPED')
      await command(staffToken, 'shipOrder', { orderId: order.orderId, carrier: 'DHL', trackingNumber: `JD0146${order.orderId.slice(4)}` });
    if (step === 'DELIVERED') await command(staffToken, 'deliverOrder', { orderId: order.orderId });
  }
};
for (const order of orders) await advance(order, order.stage);

const userDataDir = mkdtempSync(join(tmpdir(), 'ordersource-screenshot-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1360, height: 1000 },
  deviceScaleFactor: 1,
});
try {
  const page = await browser.newPage();
  const shipped = orders.find((o) => o.stage === 'PAID')!;
  await page.goto(`${new URL(`/dashboard/orders/${shipped.orderId}`, values.url).href}?token=${staffToken}`);
  await page.waitForSelector('[data-testid="connection"][data-state="connected"]');
  await page.waitForSelector('[data-testid="timeline-entry"]');
  await page.waitForSelector('[data-testid="sales-chart"][data-loaded="true"] svg.recharts-surface');
  await page.waitForTimeout(500);
  // A change while the page watches: the row updates in place and flashes.
  await command(staffToken, 'shipOrder', { orderId: shipped.orderId, carrier: 'UPS', trackingNumber: '1Z999AA10123456784' });
  await page.waitForSelector(`tr[data-order-id="${shipped.orderId}"][data-status="SHIPPED"]`);
  await page.waitForSelector('[data-testid="timeline-entry"][data-type="OrderShipped"]');
  await page.waitForTimeout(250);
  await page.screenshot({ path: values.out });
  console.log(`saved ${values.out}`);
} finally {
  await browser.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
