import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import pRetry, { AbortError } from 'p-retry';
import type { RunAs } from './embeddedBinaries.js';
import { isProcessAlive, readPostmasterPid } from './embeddedLocks.js';
import { findFreePort } from './freePort.js';
import { LOG_FILE } from './postgresLog.js';

/** The superuser the embedded cluster is created with. */
export const SUPERUSER = 'postgres';

/**
 * A postmaster whose owner was killed keeps running: shut it down cleanly before starting ours.
 * One that was killed too may linger as a zombie that PostgreSQL's own stale-lock check takes for
 * a live server, so its lock file is removed (crash recovery then runs on start).
 */
export async function stopLeftoverPostmaster(
  pgCtl: string,
  clusterDir: string,
  runAs: RunAs | undefined,
  logger: { warn(details: object, message: string): void },
) {
  const pid = await readPostmasterPid(clusterDir);
  if (pid === undefined) return;
  if (!isProcessAlive(pid)) {
    logger.warn({ pid }, 'the previous PostgreSQL died without shutting down; it will recover from its log');
    await fs.rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
    return;
  }
  logger.warn({ pid }, 'found a PostgreSQL left running by a previous process; stopping it cleanly');
  const result = spawnSync(pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60'], {
    ...runAs,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`could not stop the leftover PostgreSQL (pid ${pid}): ${result.stderr}`);
}

export async function spawnPostmaster(
  postgresBin: string,
  dataDir: string,
  clusterDir: string,
  password: string,
  runAs: RunAs | undefined,
  /** The port to use (a restart keeps the one clients know); a free one when not given. */
  fixedPort?: number,
): Promise<{ child: ChildProcess; port: number }> {
  const logFile = await fs.open(path.join(dataDir, LOG_FILE), 'a');
  try {
    for (let attempt = 1; ; attempt++) {
      const port = fixedPort ?? (await findFreePort());
      // Same process group as Node on purpose: stopping the group stops the database with it.
      const child = spawn(
        postgresBin,
        [
          '-D',
          clusterDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
          '-c',
          'max_connections=300',
        ],
        { ...runAs, stdio: ['ignore', logFile.fd, logFile.fd], env: { ...process.env, LC_MESSAGES: 'C' } },
      );
      try {
        await waitUntilAccepting(child, port, password);
        return { child, port };
      } catch (error) {
        await stopChild(child);
        if (attempt >= 3) throw error;
      }
    }
  } finally {
    await logFile.close();
  }
}

/** Resolves once the postmaster accepts connections; rejects when it exits first or does not within 60 s. */
async function waitUntilAccepting(child: ChildProcess, port: number, password: string): Promise<void> {
  const exitedEarly = () => new AbortError('embedded PostgreSQL exited during start-up (see postgres.log in the data folder)');
  let exited = false;
  child.once('exit', () => (exited = true));
  await pRetry(
    async () => {
      if (exited) throw exitedEarly();
      const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
      client.on('error', () => {});
      await client.connect();
      await client.end();
    },
    // Every 50 ms until it answers: a start-up takes from a few hundred ms to (recovering) seconds.
    { retries: Infinity, minTimeout: 50, factor: 1, maxRetryTime: 60_000 },
  ).catch((error: unknown) => {
    if (error instanceof AbortError) throw new Error(error.message);
    throw new Error('embedded PostgreSQL did not accept connections within 60 s', { cause: error });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // PostgreSQL's "fast" shutdown
  const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
  await exited;
  clearTimeout(timer);
}
