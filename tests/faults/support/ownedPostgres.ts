import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../../src/db/embedded.js';
import { ensurePostgresUser, resolvePostgresBinaries } from '../../../src/db/embeddedBinaries.js';
import { createDatabaseIfMissing } from '../../../src/db/storage.js';
import { withDatabase } from '../../../src/db/scratchServer.js';
import { postmasterChildren, startPostmaster, stopPostmaster } from '../../support/postgresProcess.js';

/**
 * A PostgreSQL server the test owns outright, as an operator owns an external database: it can be
 * stopped (a real outage: fast shutdown, every connection cut, new ones refused) and started again
 * on the same port, which the server under test cannot tell from a database restart.
 */
export interface OwnedPostgres {
  /** The `ordersource` database's URL (created on first start). */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: open transactions roll back, committed ones are on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /**
   * SIGSTOP of the postmaster and every backend: the server keeps its sockets open but answers
   * nothing (as a hung host or a black-holed network looks to a client). `thaw` sends SIGCONT.
   */
  freeze(): void;
  thaw(): void;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

export async function startOwnedPostgres(): Promise<OwnedPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-faults-pg-'));
  await chmod(dataDir, 0o755);
  // The project's embedded driver initialises the cluster and its password once; from then on the
  // test runs the postmaster itself so that it can stop and restart it on the same port.
  const first = await startEmbeddedPostgres({ dataDir });
  const adminUrl = first.connectionString();
  const port = first.port;
  await createDatabaseIfMissing(adminUrl, 'ordersource');
  await first.stop();

  const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  const binaries = await resolvePostgresBinaries(runAs);
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = await startPostmaster({
      postgres: binaries.postgres,
      dataDir: path.join(dataDir, 'pg'),
      port,
      args: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
      logFile: path.join(dataDir, 'postgres.log'),
      probeUrl: adminUrl,
      name: 'owned PostgreSQL',
      runAs,
    });
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    await stopPostmaster(running);
  }

  /** The postmaster, then its children. */
  function processes(): number[] {
    const postmaster = child?.pid;
    if (postmaster === undefined) throw new Error('owned PostgreSQL is not running');
    return [postmaster, ...postmasterChildren(postmaster)];
  }
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of processes()) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        // A backend that exited between listing and signalling has nothing left to stop or resume.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  };

  await start();
  return {
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    url: withDatabase(adminUrl, 'ordersource'),
    port,
    start,
    stop,
    async destroy() {
      if (child) signalAll('SIGCONT'); // a stopped postmaster cannot shut down
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
