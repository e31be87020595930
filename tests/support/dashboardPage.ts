import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, expect } from 'vitest';
import { DEFAULT_DASHBOARD_DIR } from '../../src/dashboard/serveDashboard.js';
import { DASHBOARD_MANIFEST } from '../../src/graphql/persistedQueries.js';
import { WAIT_MS } from './browser.js';
import type { TestServer } from './testServer.js';

/** The dashboard's pages in a browser, against a test server. */
export interface DashboardPages {
  /**
   * Opens the dashboard with `token` and waits until it is connected and `subscribed()` has grown;
   * `prepare` runs on the page before it loads (routes, for one).
   */
  open(path: string, token: string, subscribed?: () => number, prepare?: (page: Page) => Promise<void>): Promise<Page>;
  /** Closes a page (checking it sent every operation by hash) and waits until `subscribed()` is back to 0. */
  close(page: Page, subscribed?: () => number): Promise<void>;
}

/** Subscribers the server's live feed holds for every order change (the staff orderFeed). */
export const feedSubscribers = (server: TestServer): number => server.services.liveFeed.listenerCount('order');

/** The staff screens' live subscribers: every order change and every product change. */
const staffSubscribers = (server: TestServer): number => feedSubscribers(server) + server.services.liveFeed.listenerCount('product');

/** True while the page is the document `open` marked: it has not reloaded or navigated away. */
export const stillSameDocument = (page: Page): Promise<boolean> =>
  page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);

/**
 * Opens and closes dashboard pages. Every operation a page sends, over HTTP and over graphql-ws,
 * must name a hash from the dashboard's trusted-documents manifest and carry no query text (so the
 * dashboard works with TRUSTED_DOCUMENTS=true and leaks no query).
 */
export function useDashboardPages(server: TestServer, browser: () => BrowserContext): DashboardPages {
  beforeAll(() => {
    if (!existsSync(join(DEFAULT_DASHBOARD_DIR, 'index.html')))
      throw new Error('The dashboard is not built: run `npm run dashboard:build` (npm ci does this).');
  });
  const sentBy = new WeakMap<Page, { hashed: number; notHashed: string[] }>();

  const watchOperations = (page: Page) => {
    const manifest = new Set(
      Object.keys(JSON.parse(readFileSync(DASHBOARD_MANIFEST, 'utf8')) as object).map((key) => key.replace(/^sha256:/, '')),
    );
    const sent = { hashed: 0, notHashed: [] as string[] };
    sentBy.set(page, sent);
    const note = (body: string) => {
      const message = JSON.parse(body) as { type?: string; payload?: unknown };
      // graphql-ws messages have a type (only `subscribe` carries an operation); HTTP bodies are the operation.
      const operation = (message.type === undefined ? message : message.type === 'subscribe' ? message.payload : undefined) as
        { query?: string; extensions?: { persistedQuery?: { sha256Hash?: string } } } | undefined;
      if (!operation) return;
      const hash = operation.extensions?.persistedQuery?.sha256Hash;
      if (!operation.query && hash && manifest.has(hash)) sent.hashed++;
      else sent.notHashed.push(body);
    };
    page.on('request', (request) => {
      if (new URL(request.url()).pathname !== '/graphql') return;
      if (request.method() === 'POST') note(request.postData() ?? '{}');
      else sent.notHashed.push(request.url());
    });
    page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => note(payload.toString())));
  };

  return {
    async open(path, token, subscribed = () => feedSubscribers(server), prepare) {
      const before = subscribed();
      const page = await browser().newPage();
      watchOperations(page);
      await prepare?.(page);
      page.on('pageerror', (error) => {
        throw new Error(`the page threw: ${error.message}`);
      });
      await page.goto(`${new URL('/dashboard', server.app.url).href}${path}?token=${token}`);
      await page.waitForSelector('[data-testid="connection"][data-state="connected"]', { timeout: WAIT_MS });
      await expect.poll(subscribed, { timeout: WAIT_MS }).toBeGreaterThan(before);
      // Marks this document: if the page reloaded or navigated away, the mark would be gone.
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));
      return page;
    },
    async close(page, subscribed = () => staffSubscribers(server)) {
      const sent = sentBy.get(page);
      if (sent) {
        expect(sent.notHashed).toEqual([]);
        expect(sent.hashed).toBeGreaterThan(0);
      }
      await page.close();
      await expect.poll(subscribed, { timeout: WAIT_MS }).toBe(0);
    },
  };
}

/** A page's WebSocket pushes, passed on until `hold()`, then kept until `release()`. */
export interface HeldPushes {
  hold(): void;
  release(): void;
}

/**
 * Routes the page's WebSocket through the test, so a test can keep the server's pushes from the
 * page for a while: what a slow network does to a live page, made to happen on purpose.
 */
export async function holdablePushes(page: Page): Promise<HeldPushes> {
  let held: (string | Buffer)[] | undefined;
  const sockets: { send(message: string | Buffer): void }[] = [];
  await page.routeWebSocket(/\/graphql$/, (socket) => {
    const upstream = socket.connectToServer();
    sockets.push(socket);
    upstream.onMessage((message) => (held ? held.push(message) : socket.send(message)));
    socket.onMessage((message) => upstream.send(message));
  });
  return {
    hold: () => {
      held ??= [];
    },
    release: () => {
      const messages = held ?? [];
      held = undefined;
      for (const message of messages) for (const socket of sockets) socket.send(message);
    },
  };
}
