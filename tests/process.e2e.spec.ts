import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signAccessToken } from '../src/auth/tokens.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { postQuery, startServerProcess } from './support/serverProcess.js';

/** Connects to the embedded cluster of a DATA_DIR the way an operator would: password file + port. */
async function embeddedClient(dataDir: string): Promise<pg.Client> {
  const password = (await readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  const port = Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[3]);
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'ordersource' });
  await client.connect();
  return client;
}

describe('the server process on its embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-process-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts with no configuration but DATA_DIR, answers { __typename }, and keeps its data across a restart and a kill -9', async () => {
    const first = await startServerProcess({ DATA_DIR: dataDir });
    expect(await postQuery(first.url, '{ __typename headPosition }')).toEqual({ data: { __typename: 'Query', headPosition: '0' } });
    expect(first.output()).toContain('DEVELOPMENT secret');
    const client = await embeddedClient(dataDir);
    await client.query(
      `SELECT ordersource_append('[{"streams":[{"streamId":"kept","streamType":"Test","events":[{"type":"Kept","data":{}}]}],"metadata":{}}]')`,
    );
    await client.end();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopped cleanly');

    const second = await startServerProcess({ DATA_DIR: dataDir });
    expect((await postQuery(second.url, '{ headPosition }')).data).toEqual({ headPosition: '1' });
    second.child.kill('SIGKILL');
    await second.exited;

    const third = await startServerProcess({ DATA_DIR: dataDir });
    expect(third.output()).toContain('left running by a previous process');
    expect((await postQuery(third.url, '{ headPosition }')).data).toEqual({ headPosition: '1' });
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });
});

describe('the server process on an external PostgreSQL (DATABASE_URL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('finishes an in-flight request, closes WebSockets with 1001 and exits 0 on SIGTERM', async () => {
    const server = await startServerProcess({ DATABASE_URL: database.connectionString });
    const socket = new WebSocket(server.url.replace('http', 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.on('open', resolve));

    // Hold a lock that the query needs, so the request is still running when SIGTERM arrives.
    const blocker = new pg.Client(database.connectionString);
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    const inFlight = postQuery(server.url, '{ headPosition }');
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    await new Promise((r) => setTimeout(r, 200));
    await blocker.query('COMMIT');
    await blocker.end();

    expect(await inFlight).toEqual({ data: { headPosition: '0' } });
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('stopped cleanly');
  });

  it('serves reads from projections run by another process when started with RUN_PROJECTIONS=false', async () => {
    const secret = 'process-test-secret-process-test-secret';
    const token = await signAccessToken({ sub: 'alice', role: 'staff' }, { secret, isDevelopmentSecret: false });
    const post = (url: string, query: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      }).then((r) => r.json() as Promise<{ data?: any; errors?: { extensions?: { code?: string } }[] }>);
    const env = { DATABASE_URL: database.connectionString, JWT_SECRET: secret, CONSISTENCY_TIMEOUT_MS: '1500' };
    const servingOnly = await startServerProcess({ ...env, RUN_PROJECTIONS: 'false' });
    let projector: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      expect(servingOnly.output()).toContain('RUN_PROJECTIONS=false');
      const added = await post(
        servingOnly.url,
        'mutation { addProduct(input: {sku: "SERVE-1", name: "Served", priceCents: 100, initialStock: 3}) { ... on CommandSuccess { position } } }',
      );
      const read = `{ product(sku: "SERVE-1", consistentWith: "${added.data.addProduct.position}") { available } }`;
      expect((await post(servingOnly.url, read)).errors?.[0]?.extensions?.code).toBe('CONSISTENCY_TIMEOUT');
      projector = await startServerProcess(env);
      expect((await post(servingOnly.url, read)).data).toEqual({ product: { available: 3 } });
    } finally {
      servingOnly.child.kill('SIGTERM');
      projector?.child.kill('SIGTERM');
      await Promise.all([servingOnly.exited, projector?.exited]);
    }
  });

  it('refuses to start with a clear message for each bad setting', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'chatty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toMatch(/PORT: /);
    expect(result.stderr).toMatch(/DATABASE_URL: must start with postgres/);
    expect(result.stderr).toMatch(/LOG_LEVEL: /);
  });
});
