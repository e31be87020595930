import { afterEach, describe, expect, it } from 'vitest';
import { runningEmbeddedPostgres } from '../../src/db/embedded.js';
import type { ServerProcess } from '../support/serverProcess.js';
import {
  cleanUp,
  killNodeOnly,
  killProcessGroup,
  msSince,
  printServerLogIfFailed,
  report,
  startFaultServer,
  tempDataDir,
} from './support/faultServer.js';
import { startOwnedPostgres, type OwnedPostgres } from './support/ownedPostgres.js';
import { checkAcknowledged, checkReadModelsConverge } from './support/verify.js';
import { prepareLoad, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let dataDir: string | undefined;
let owned: OwnedPostgres | undefined;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  await cleanUp(server, dataDir);
  await owned?.destroy();
  [server, dataDir, owned] = [undefined, undefined, undefined];
});

/** Acknowledged commands to collect before the kill (or 20 s of load): the kill lands mid-load. */
const ACKNOWLEDGED_BEFORE_KILL = 250;

/**
 * Runs a write load, kills the server with `kill` once enough commands are acknowledged, starts it
 * again, and checks that every acknowledged command is in the log, that the read models converge
 * to the log, and that the restarted server takes the same load without an error.
 */
async function killUnderLoad(
  name: string,
  start: () => Promise<ServerProcess>,
  kill: (server: ServerProcess) => Promise<void>,
  databaseUrl: () => Promise<string>,
): Promise<void> {
  server = await start();
  const customerId = await prepareLoad(server.url);
  const load = startWriteLoad(() => server!.url, customerId, 6);
  const loadStarted = Date.now();
  while (load.acknowledgedCount < ACKNOWLEDGED_BEFORE_KILL && msSince(loadStarted) < 20_000) await new Promise((r) => setTimeout(r, 10));
  const inFlightAtKill = load.inFlightNow();
  await kill(server);
  const before = await load.stop();
  expect(before.errors).toEqual({});
  expect(before.acknowledged.length).toBeGreaterThan(25); // a slow machine may not reach the target in time

  const restarting = Date.now();
  server = await start();
  const restartMs = msSince(restarting);
  const url = await databaseUrl();
  const durability = await checkAcknowledged(url, before.acknowledged);
  expect(durability.lost).toEqual([]);
  const convergence = await checkReadModelsConverge(server.url, url);
  expect(convergence.mismatches).toEqual([]);
  expect(convergence.staleProducts).toEqual([]);

  const after = startWriteLoad(() => server!.url, customerId, 4);
  await new Promise((r) => setTimeout(r, 1_500));
  const served = await after.stop();
  expect(served).toMatchObject({ errors: {}, unanswered: 0 });
  expect(served.acknowledged.length).toBeGreaterThan(0);
  expect((await checkAcknowledged(url, served.acknowledged)).lost).toEqual([]);

  report(name, {
    acknowledgedBeforeKill: before.acknowledged.length,
    loadMs: before.elapsedMs,
    inFlightAtKill,
    unansweredAtKill: before.unanswered,
    foundAfterRestart: durability.found,
    commandsRecorded: durability.recordedCommands,
    restartMs,
    readSideCatchUpMs: convergence.catchUpMs,
    ordersCompared: convergence.ordersCompared,
    head: convergence.head,
    acknowledgedAfterRestart: served.acknowledged.length,
  });
}

describe('kill -9 during a write load', () => {
  it('loses no acknowledged command when only the Node process is killed and the orphaned embedded PostgreSQL is taken over', async () => {
    dataDir = await tempDataDir();
    const env = { DATA_DIR: dataDir };
    await killUnderLoad(
      'kill -9 of Node alone (embedded PostgreSQL survives)',
      () => startFaultServer(env),
      killNodeOnly,
      async () => (await runningEmbeddedPostgres(dataDir!, 'ordersource'))!,
    );
    expect(server!.output()).toContain('left running by a previous process');
  });

  it('loses no acknowledged command when the whole process group dies, embedded PostgreSQL included', async () => {
    dataDir = await tempDataDir();
    const env = { DATA_DIR: dataDir };
    await killUnderLoad(
      'kill -9 of the process group (embedded PostgreSQL dies too)',
      () => startFaultServer(env),
      killProcessGroup,
      async () => (await runningEmbeddedPostgres(dataDir!, 'ordersource'))!,
    );
    expect(server!.output()).toContain('died without shutting down');
  });

  it('loses no acknowledged command when the server on an external PostgreSQL is killed', async () => {
    owned = await startOwnedPostgres();
    const env = { DATABASE_URL: owned.url };
    await killUnderLoad(
      'kill -9 of the server on an external PostgreSQL',
      () => startFaultServer(env),
      killProcessGroup,
      async () => owned!.url,
    );
  });
});
