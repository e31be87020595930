import { statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import sirv from 'sirv';

/** Where the dashboard is served; Vite builds it with this base (dashboard/vite.config.ts). */
export const DASHBOARD_PATH = '/dashboard';

/** `npm run dashboard:build` writes here (also run by `npm ci`). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

const NOT_BUILT = 'The dashboard is not built. Run `npm run dashboard:build`, then reload this page.\n';

// Vite puts content-hashed files under assets/: a changed file gets a new name, so browsers may
// keep them forever. index.html (and every client-side route that falls back to it) names the
// current hashes and is revalidated on every load.
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const HASHED_ASSET = /^\/assets\/[^/]+\.[a-z0-9]+$/i;

// The page may carry a token in its address (`?token=`): no Referer leaves it, and nothing but the
// page's own scripts and the same-origin API (HTTP and WebSocket) is allowed.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** What the dashboard reads from the server before it draws anything: `GET /dashboard/settings.json`. */
export interface DashboardSettings {
  /** ISO 4217: the currency amounts (cents in the API) are shown in. */
  currency: string;
}

const SETTINGS_PATH = `${DASHBOARD_PATH}/settings.json`;

/** Serves the built dashboard at /dashboard: static files, with index.html for client-side routes. */
export interface DashboardHandler {
  /** True for `/dashboard` and everything under it. */
  handles(url: string | undefined): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Static files from `dir` by sirv: it indexes the build once and serves only the files it found, so
 * no request path (`..`, encoded or not) can reach outside the build. The index is taken again when
 * index.html changes, so `npm run dashboard:build` next to a running server takes effect on reload;
 * without a build, `/dashboard` answers 503 saying how to build it.
 */
export function createDashboardHandler({
  dir = DEFAULT_DASHBOARD_DIR,
  logger,
  settings,
}: {
  dir?: string;
  logger: Logger;
  settings: DashboardSettings;
}): DashboardHandler {
  const settingsJson = JSON.stringify(settings);
  const indexFile = join(dir, 'index.html');
  let current: { builtAt: number; app: ReturnType<typeof sirv>; assets: ReturnType<typeof sirv> } | undefined;

  const builtAt = (): number | undefined => statSync(indexFile, { throwIfNoEntry: false })?.mtimeMs;
  if (builtAt() === undefined) {
    logger.warn({ dir }, `the dashboard is not built: ${DASHBOARD_PATH} answers 503 until \`npm run dashboard:build\` runs`);
  }

  const files = (stamp: number) => {
    if (current?.builtAt !== stamp) {
      const options = {
        etag: true,
        setHeaders: (res: ServerResponse, pathname: string) =>
          res.setHeader('cache-control', HASHED_ASSET.test(pathname) ? IMMUTABLE : REVALIDATE),
        onNoMatch: (_req: IncomingMessage, res: ServerResponse) => plain(res, 404, 'Not found.\n'),
      };
      // Every path outside assets/ is a client-side route and gets index.html, even one with a dot
      // (order ids may have them); a missing asset is a 404, never HTML where a script was asked for.
      current = { builtAt: stamp, app: sirv(dir, { ...options, single: true, ignores: false }), assets: sirv(dir, options) };
    }
    return current;
  };

  return {
    handles: (url) =>
      url !== undefined && (url === DASHBOARD_PATH || url.startsWith(`${DASHBOARD_PATH}/`) || url.startsWith(`${DASHBOARD_PATH}?`)),
    handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return plain(res, 405, 'Method not allowed.\n');
      }
      if (req.url === SETTINGS_PATH) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
        return void res.end(req.method === 'HEAD' ? undefined : settingsJson);
      }
      const stamp = builtAt();
      if (stamp === undefined) return plain(res, 503, NOT_BUILT);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      // Mounted at /dashboard: the file server sees the path below it (`/dashboard?x` is `/?x`).
      const below = req.url!.slice(DASHBOARD_PATH.length);
      req.url = below.startsWith('/') ? below : `/${below}`;
      const { app, assets } = files(stamp);
      (req.url.startsWith('/assets/') ? assets : app)(req, res);
    },
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}
