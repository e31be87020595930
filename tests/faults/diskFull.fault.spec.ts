import { execFileSync } from 'node:child_process';
import { chmod, open, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runningEmbeddedPostgres } from '../../src/db/embedded.js';
import { commandMutation } from '../support/api.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { cleanUp, msSince, printServerLogIfFailed, report, startFaultServer, tempDataDir } from './support/faultServer.js';
import { post, ready } from './support/probes.js';
import { checkAcknowledged } from './support/verify.js';
import { LOAD_SKUS, prepareLoad, staffToken, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let dataDir: string | undefined;
let mounted = false;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  if (dataDir) await rm(path.join(dataDir, 'filler'), { force: true });
  await cleanUp(server);
  if (mounted && dataDir) {
    await cleanUp(undefined, dataDir).catch(() => {}); // stops a PostgreSQL left behind
    execFileSync('umount', [dataDir]);
    await rm(dataDir, { recursive: true, force: true });
  } else if (dataDir) await cleanUp(undefined, dataDir);
  [server, dataDir, mounted] = [undefined, undefined, false];
});

/** Mounts a small tmpfs on a fresh folder; undefined when this process may not mount (not root). */
function mountSmallTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    console.warn(
      `[fault] disk full: skipped, cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`,
    );
    return false;
  }
}

/** Writes zeros into `file` until the file system is full. */
async function fillUp(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  let written = 0;
  try {
    for (;;) written += (await handle.write(chunk)).bytesWritten;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
  return written;
}

/**
 * Removes the filler, then runs a write load until commands succeed again (within `timeoutMs`)
 * and `/ready` answers 200; returns how long commands took to succeed and what the load did.
 */
async function freeSpaceAndServe(filler: string, url: string, customerId: string, timeoutMs: number) {
  await rm(filler);
  const freedAt = Date.now();
  const after = startWriteLoad(() => url, customerId, 3);
  await expect.poll(() => after.acknowledgedCount > 10, { timeout: timeoutMs, message: 'commands to succeed again' }).toBe(true);
  const recoveredMs = msSince(freedAt);
  await expect.poll(async () => (await ready(url, 10_000)).status === 200, { timeout: 30_000, message: '/ready to answer 200' }).toBe(true);
  return { recoveredMs, served: await after.stop() };
}

describe('the disk under the embedded PostgreSQL full', () => {
  it('fails commands with STORAGE_FULL and /ready 503 while it lasts, loses nothing acknowledged, and serves again once space is freed', async (context) => {
    dataDir = await tempDataDir();
    mounted = mountSmallTmpfs(dataDir);
    if (!mounted) return context.skip();
    await chmod(dataDir, 0o755);
    server = await startFaultServer({ DATA_DIR: dataDir });
    const url = server.url;
    const customerId = await prepareLoad(url);
    const filler = path.join(dataDir, 'filler');
    const filled = await fillUp(filler);

    const load = startWriteLoad(() => url, customerId, 3);
    const fullAt = Date.now();
    await expect
      .poll(() => (load.errors['graphql:STORAGE_FULL'] ?? 0) > 0, { timeout: 120_000, message: 'a command to fail for lack of space' })
      .toBe(true);
    const whileFull = await ready(url, 10_000);
    const before = await load.stop();
    const firstFailureMs = msSince(fullAt);
    expect(whileFull).toMatchObject({ status: 503, codes: ['STORAGE_FULL'] });
    // Out of space is said as such; a WAL write failing this way may PANIC the server, whose
    // commands answer DATABASE_UNAVAILABLE until its supervisor has seen why it is down.
    expect(Object.keys(before.errors).filter((code) => code !== 'graphql:STORAGE_FULL' && code !== 'graphql:DATABASE_UNAVAILABLE')).toEqual(
      [],
    );

    const { recoveredMs, served } = await freeSpaceAndServe(filler, url, customerId, 60_000);
    expect(server.child.exitCode).toBeNull();

    const pgUrl = (await runningEmbeddedPostgres(dataDir, 'ordersource'))!;
    expect((await checkAcknowledged(pgUrl, [...before.acknowledged, ...served.acknowledged])).lost).toEqual([]);
    report('disk full under the embedded PostgreSQL', {
      fillerBytes: filled,
      acknowledgedWhileFilling: before.acknowledged.length,
      errors: before.errors,
      firstFailureMs,
      recoveredMs,
      acknowledgedAfter: served.acknowledged.length,
    });
  });

  it('outlives a PANIC of PostgreSQL on a full disk: the supervisor keeps restarting it, requests and /ready say STORAGE_FULL meanwhile, and once space is freed commands work again with nothing lost', async (context) => {
    dataDir = await tempDataDir();
    mounted = mountSmallTmpfs(dataDir);
    if (!mounted) return context.skip();
    await chmod(dataDir, 0o755);
    server = await startFaultServer({ DATA_DIR: dataDir });
    const url = server.url;
    const customerId = await prepareLoad(url);
    const load = startWriteLoad(() => url, customerId, 3);
    await expect.poll(() => load.acknowledgedCount > 10, { timeout: 30_000, message: 'the load to be acknowledged' }).toBe(true);
    const filler = path.join(dataDir, 'filler');
    await fillUp(filler);

    // A WAL segment PostgreSQL cannot create fails inside a critical section: the backend PANICs,
    // and the postmaster's crash recovery then cannot write its checkpoint either.
    const pgUrl = (await runningEmbeddedPostgres(dataDir, 'ordersource'))!;
    const direct = new pg.Client({ connectionString: pgUrl });
    direct.on('error', () => {});
    await direct.connect();
    const fullAt = Date.now();
    let panicked = false;
    for (let i = 0; i < 50 && !panicked; i++) {
      try {
        await direct.query("SELECT pg_logical_emit_message(false, 'disk-full', repeat('x', 1000000)), pg_switch_wal()");
      } catch {
        panicked = true;
      }
    }
    await direct.end().catch(() => {});
    expect(panicked, 'PostgreSQL PANICked on a WAL write').toBe(true);
    await expect
      .poll(() => server!.output().includes('embedded PostgreSQL exited unexpectedly'), {
        timeout: 30_000,
        message: 'the supervisor to restart PostgreSQL',
      })
      .toBe(true);
    // While space is short, restarts keep failing and keep being tried; /ready and requests say why
    // (the supervisor reads it from the data folder's free space and PostgreSQL's log).
    await new Promise((r) => setTimeout(r, 5_000));
    const whileFull = await ready(url, 10_000).catch(() => ({ status: 0, ms: 0, codes: [] as string[] }));
    const token = await staffToken();
    const commandWhileFull = await post(
      url,
      token,
      commandMutation('restockProduct'),
      { input: { sku: LOAD_SKUS[0], quantity: 1 } },
      10_000,
    );
    const restartAttempts = server.output().split('embedded PostgreSQL did not restart yet').length - 1;
    const before = await load.stop();
    expect(whileFull).toMatchObject({ status: 503, codes: ['STORAGE_FULL'] });
    expect(commandWhileFull.code, JSON.stringify(commandWhileFull.body)).toBe('STORAGE_FULL');
    expect(restartAttempts, 'restarts tried while the disk was full').toBeGreaterThan(0);
    expect(Object.keys(before.errors).filter((code) => code !== 'graphql:STORAGE_FULL' && code !== 'graphql:DATABASE_UNAVAILABLE')).toEqual(
      [],
    );

    const { recoveredMs, served } = await freeSpaceAndServe(filler, url, customerId, 90_000);
    expect(server.child.exitCode).toBeNull();

    const restartedUrl = (await runningEmbeddedPostgres(dataDir, 'ordersource'))!;
    expect((await checkAcknowledged(restartedUrl, [...before.acknowledged, ...served.acknowledged])).lost).toEqual([]);
    report('PostgreSQL PANIC on a full disk under the embedded cluster', {
      panicAfterMs: msSince(fullAt),
      whileFull,
      commandWhileFullMs: commandWhileFull.ms,
      restartAttempts,
      errors: before.errors,
      acknowledgedBefore: before.acknowledged.length,
      recoveredMs,
      acknowledgedAfter: served.acknowledged.length,
    });
  });
});
