import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runningEmbeddedPostgres } from '../../src/db/embedded.js';
import { isProcessAlive, readPostmasterPid } from '../../src/db/embeddedLocks.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { cleanUp, msSince, printServerLogIfFailed, report, startFaultServer, tempDataDir } from './support/faultServer.js';
import { checkAcknowledged, checkReadModelsConverge } from './support/verify.js';
import { prepareLoad, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  await cleanUp(server, dataDir);
  [server, dataDir] = [undefined, undefined];
});

describe('the embedded PostgreSQL killed under a running server', () => {
  it('is restarted by the server on the same port, and the server serves again without a restart of its own', async () => {
    dataDir = await tempDataDir();
    server = await startFaultServer({ DATA_DIR: dataDir });
    const customerId = await prepareLoad(server.url);
    const load = startWriteLoad(() => server!.url, customerId, 4);
    while (load.acknowledgedCount < 60) await new Promise((r) => setTimeout(r, 10));

    const postmaster = await readPostmasterPid(path.join(dataDir, 'pg'));
    expect(postmaster).toBeDefined();
    process.kill(postmaster!, 'SIGKILL');
    const killedAt = Date.now();
    // Let the load meet the outage (its commands fail with DATABASE_UNAVAILABLE or are unanswered).
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await load.stop();

    const restartedPid = await vi.waitFor(
      async () => {
        const pid = await readPostmasterPid(path.join(dataDir!, 'pg'));
        expect(pid !== undefined && pid !== postmaster && isProcessAlive(pid), 'a new postmaster').toBe(true);
        return pid!;
      },
      { timeout: 30_000 },
    );
    const after = startWriteLoad(() => server!.url, customerId, 4);
    await expect.poll(() => after.acknowledgedCount > 20, { timeout: 30_000, message: 'commands to succeed again' }).toBe(true);
    const recoveredMs = msSince(killedAt);
    const served = await after.stop();

    // The same server process all along: it never exited.
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
    const url = (await runningEmbeddedPostgres(dataDir, 'ordersource'))!;
    expect((await checkAcknowledged(url, [...before.acknowledged, ...served.acknowledged])).lost).toEqual([]);
    const convergence = await checkReadModelsConverge(server.url, url);
    expect(convergence.mismatches).toEqual([]);
    // Only the outage's own answers: nothing masked as an internal error.
    expect(Object.keys(before.errors).filter((code) => code !== 'graphql:DATABASE_UNAVAILABLE')).toEqual([]);
    report('embedded PostgreSQL killed', {
      acknowledgedBefore: before.acknowledged.length,
      unavailableAnswers: before.errors['graphql:DATABASE_UNAVAILABLE'] ?? 0,
      acknowledgedAfter: served.acknowledged.length,
      recoveredMs,
      newPostmaster: restartedPid !== postmaster,
    });
  });
});
