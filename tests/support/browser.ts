import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

// Debian's Chromium, headless, driven by playwright-core: the browser tests run against the real
// server with nothing downloaded.

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** How long a browser test waits for something the page should show. */
export const WAIT_MS = 15_000;

/**
 * A headless Chromium for the enclosing file, launched in `beforeAll` with a throwaway profile and
 * closed in `afterAll`. A missing Chromium fails with the fix, never a silent skip.
 */
export function useBrowser(): () => BrowserContext {
  let browser: BrowserContext | undefined;
  let userDataDir: string | undefined;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    userDataDir = mkdtempSync(join(tmpdir(), 'ordersource-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });
  return () => {
    if (!browser) throw new Error('the browser starts in beforeAll: use it from hooks and tests');
    return browser;
  };
}
