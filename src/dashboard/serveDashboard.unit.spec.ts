import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardHandler } from './serveDashboard.js';

// A real HTTP server over a throwaway build folder; requests are sent raw (http.request does not
// normalise paths), so `..` reaches the handler exactly as an attacker would send it.

let root: string;
let dist: string;
let server: http.Server;
let base: string;
const warnings: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dashboard-spec-'));
  dist = join(root, 'dist');
  writeFileSync(join(root, 'secret.txt'), 'outside the build');
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const dashboard = createDashboardHandler({ dir: dist, logger, settings: { currency: 'EUR' } });
  server = http.createServer((req, res) => {
    if (dashboard.handles(req.url)) return dashboard.handle(req, res);
    res.writeHead(418).end('not the dashboard');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

function build(version: string) {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'assets', `index-${version}.js`), `console.log(${JSON.stringify(version)})`);
  writeFileSync(join(dist, 'assets', `index-${version}.css`), 'body{}');
  writeFileSync(join(dist, 'index.html'), `<!doctype html><script src="/dashboard/assets/index-${version}.js"></script>`);
}

function get(path: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard file server', () => {
  it("answers the dashboard's settings (the currency amounts are shown in), built or not", async () => {
    const res = await get('/dashboard/settings.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ currency: 'EUR' });
  });

  it('warns at start and answers 503 with the build command while there is no build', async () => {
    expect(warnings.join('')).toContain('npm run dashboard:build');
    const res = await get('/dashboard');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toContain('npm run dashboard:build');
  });

  it('serves a build made while the server runs, with index.html for /dashboard and for client-side routes', async () => {
    build('aaaa1111');
    for (const path of ['/dashboard', '/dashboard/', '/dashboard?token=x', '/dashboard/orders/o-1.2', '/dashboard/inventory']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe('text/html;charset=utf-8');
      expect(res.headers['cache-control'], path).toBe('no-cache');
      expect(res.body, path).toContain('index-aaaa1111.js');
    }
  });

  it('marks hashed assets immutable with their content types, and sends the security headers', async () => {
    const script = await get('/dashboard/assets/index-aaaa1111.js');
    expect(script).toMatchObject({ status: 200, body: 'console.log("aaaa1111")' });
    expect(script.headers).toMatchObject({
      'content-type': 'text/javascript',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    expect(script.headers['content-security-policy']).toContain("connect-src 'self'");
    expect((await get('/dashboard/assets/index-aaaa1111.css')).headers['content-type']).toBe('text/css');
  });

  it('answers a missing asset with 404, not with the page', async () => {
    const res = await get('/dashboard/assets/index-gone.js');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('<script');
  });

  it('never serves a file outside the build, however the path is spelled', async () => {
    for (const path of [
      '/dashboard/../secret.txt',
      '/dashboard/assets/../../secret.txt',
      '/dashboard/%2e%2e/secret.txt',
      '/dashboard/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/dashboard/..%5csecret.txt',
    ]) {
      const res = await get(path);
      expect(res.body, path).not.toContain('outside the build');
    }
  });

  it('picks up a rebuild without a restart', async () => {
    build('bbbb2222');
    // A build within the same millisecond would keep the old stamp; real builds take seconds.
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dist, 'index.html'), later, later);
    expect((await get('/dashboard/')).body).toContain('index-bbbb2222.js');
    expect((await get('/dashboard/assets/index-bbbb2222.js')).status).toBe(200);
  });

  it('refuses methods other than GET and HEAD, and leaves other paths alone', async () => {
    const post = await get('/dashboard/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await get('/dashboard/', 'HEAD')).status).toBe(200);
    expect((await get('/dashboardx')).status).toBe(418);
    expect((await get('/graphql')).status).toBe(418);
  });
});
