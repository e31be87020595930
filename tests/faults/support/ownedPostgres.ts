import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../../src/db/embedded.js';
import { ensurePostgresUser, resolvePostgresBinaries } from '../../../src/db/embeddedBinaries.js';
import { createDatabaseIfMissing } from '../../../src/db/storage.js';
import { withDatabase } from '../../../src/db/scratchServer.js';

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
    const log = await open(path.join(dataDir, 'postgres.log'), 'a');
    child = spawn(
      binaries.postgres,
      [
        '-D',
        path.join(dataDir, 'pg'),
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=300',
      ],
      { ...runAs, stdio: ['ignore', log.fd, log.fd] },
    );
    await log.close();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: adminUrl });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`owned PostgreSQL did not start: ${String(error)}`, { cause: error });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGINT'); // what `pg_ctl stop -m fast` sends
    await exited;
  }

  /** The postmaster, then its children (read from /proc: no new ones fork once it is stopped). */
  function processes(): number[] {
    const postmaster = child?.pid;
    if (postmaster === undefined) throw new Error('owned PostgreSQL is not running');
    const children = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
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
