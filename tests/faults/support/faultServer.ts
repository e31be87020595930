import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive, readPostmasterPid } from '../../../src/db/embeddedLocks.js';
import type { ApiClient } from '../../support/api.js';
import { processClient, stopProcess } from '../../support/liveProcess.js';
import { startServerProcess, type ServerProcess } from '../../support/serverProcess.js';
import { startOwnedPostgres, type OwnedPostgres } from './ownedPostgres.js';
import { FAULT_JWT_SECRET, prepareLoad, staffToken } from './writeLoad.js';

/**
 * Starts `src/main.ts` as `npm start` runs it, with the fault runs' JWT secret, in a process group
 * of its own (so that the whole group can be killed without touching the test runner).
 */
export async function startFaultServer(env: Record<string, string>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerProcess({ JWT_SECRET: FAULT_JWT_SECRET, ...env }, { detached: true });
    } catch (error) {
      // The free port it picked was taken before it listened (other processes share the machine).
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

/** A fault server on a PostgreSQL the test owns, with the load's products and customer in place. */
export interface OwnedPostgresRun {
  owned: OwnedPostgres;
  server: ServerProcess;
  url: string;
  /** A staff token, and a client that sends with it. */
  token: string;
  staff: ApiClient;
  /** The load's customer ({@link prepareLoad}). */
  customerId: string;
}

/**
 * Starts a PostgreSQL the test owns and a fault server on it, and prepares the load. What it
 * started is stopped again if a later step fails; otherwise the caller cleans up both.
 */
export async function startOnOwnedPostgres(): Promise<OwnedPostgresRun> {
  const owned = await startOwnedPostgres();
  let server: ServerProcess | undefined;
  try {
    server = await startFaultServer({ DATABASE_URL: owned.url });
    const token = await staffToken();
    const customerId = await prepareLoad(server.url);
    return { owned, server, url: server.url, token, staff: processClient(server.url, token), customerId };
  } catch (error) {
    await cleanUp(server);
    await owned.destroy();
    throw error;
  }
}

/** SIGKILL of the server's Node process alone (an embedded PostgreSQL child survives it). */
export async function killNodeOnly(server: ServerProcess): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
}

/** SIGKILL of the server's whole process group: Node and, when embedded, PostgreSQL with it. */
export async function killProcessGroup(server: ServerProcess): Promise<void> {
  process.kill(-server.child.pid!, 'SIGKILL');
  await server.exited;
}

/** A DATA_DIR for the embedded PostgreSQL that the `postgres` user can reach when run as root. */
export async function tempDataDir(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-faults-'));
  await chmod(dataDir, 0o755);
  return dataDir;
}

/** Stops the server and any PostgreSQL it left in `dataDir`, then removes the folder. */
export async function cleanUp(server: ServerProcess | undefined, dataDir?: string): Promise<void> {
  await stopProcess(server, 15_000);
  if (!dataDir) return;
  const pid = await readPostmasterPid(path.join(dataDir, 'pg'));
  if (pid !== undefined && isProcessAlive(pid)) {
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 200 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  }
  await rm(dataDir, { recursive: true, force: true });
}

/** Milliseconds since `since`, for the numbers a fault run reports. */
export const msSince = (since: number): number => Date.now() - since;

/** Prints one fault run's numbers (collected into the run's output for the record). */
export function report(name: string, numbers: Record<string, unknown>): void {
  console.log(`[fault] ${name}: ${JSON.stringify(numbers, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
}

/**
 * When a test failed, prints what the server logged above info level (its last 6,000 characters),
 * so a CI log shows why without rerunning.
 */
export function printServerLogIfFailed(context: { task: { result?: { state?: string } } }, server: ServerProcess | undefined): void {
  if (context.task.result?.state !== 'fail' || !server) return;
  const lines = server
    .output()
    .split('\n')
    .filter((line) => !line.includes('"level":30'));
  console.log(lines.join('\n').slice(-6_000));
}
