import { describe, expect, it } from 'vitest';
import { clientAs } from './support/api.js';
import { useBrowser, WAIT_MS } from './support/browser.js';
import { useTestServer } from './support/testServer.js';

// GraphiQL as a developer on a machine without internet sees it: the server's own page, with every
// request to another host refused by the browser.

const server = useTestServer({ NODE_ENV: 'development', GRAPHIQL: 'true' });
const browser = useBrowser();

describe('GraphiQL served by the server itself', () => {
  it('renders the example tabs and runs an example operation with every other host unreachable', async () => {
    const page = await browser().newPage();
    const origin = new URL(server.app.url).origin;
    const elsewhere: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.goto(server.app.url);
    await page.waitForSelector('.graphiql-container .graphiql-tab', { timeout: WAIT_MS });
    const tabs = await page.$$eval('.graphiql-tab .graphiql-tab-button', (buttons) => buttons.map((b) => b.textContent));
    expect(tabs).toEqual(['RegisterCustomer', 'Order', 'OrderStatus', 'CreateWebhookEndpoint', 'ReactionTargets']);

    // The lifecycle tab holds every command; the run button asks which one, and it runs with the
    // tab's variables and the development staff token from the header editor.
    await page.click('.graphiql-execute-button');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/graphql', {
      timeout: WAIT_MS,
    });
    await page.click('[role="menuitem"]:has-text("AddProduct")');
    const answer = (await (await answered).json()) as { data: { addProduct: { position: string } } };
    expect(answer).toEqual({
      data: { addProduct: { product: { sku: 'BOOK-1', priceCents: 1250, available: 5 }, position: expect.any(String) } },
    });
    await page.waitForSelector('.result-window:has-text("BOOK-1")', { timeout: WAIT_MS });
    const staff = await clientAs(server, 'staff', 'graphiql-e2e');
    // Read as of the write (the products projection may not have applied it yet).
    const read = await staff.run('query ($p: String) { product(sku: "BOOK-1", consistentWith: $p) { name } }', {
      p: answer.data.addProduct.position,
    });
    expect(read.product).toEqual({ name: 'Notebook' });

    expect(errors).toEqual([]);
    // The page asked nothing of another host (each such request would have failed).
    expect(elsewhere).toEqual([]);
    await page.close();
  });
});
