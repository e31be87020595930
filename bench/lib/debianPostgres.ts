import { execFile, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePostgresUser } from '../../src/db/embeddedBinaries.js';
import { findFreePort } from '../../src/db/freePort.js';
import { debianPostgresBin } from '../../tests/support/replicatedPostgres.js';
import { startPostmaster, stopPostmaster } from '../../tests/support/postgresProcess.js';

const run = promisify(execFile);
const PASSWORD = 'bench-debian-password';

/** A temporary cluster of Debian's PostgreSQL, configured as the package ships it (JIT on, fsync on). */
export interface DebianCluster {
  /** The server's `postgres` database (the benchmarks create theirs beside it). */
  url: string;
  /** `PostgreSQL 15.x (Debian …)`. */
  version: string;
  stop(): Promise<void>;
}

/**
 * Starts a fresh cluster of the newest installed Debian PostgreSQL in a temp folder: the engine a
 * user gets from `apt-get install postgresql`, with its defaults (`jit = on`, durable commits).
 * Only what a benchmark needs on top: a TCP port of its own and room for its connections. Run as
 * root, the cluster runs as the `postgres` user.
 */
export async function startDebianCluster(): Promise<DebianCluster> {
  const bin = debianPostgresBin();
  if (!bin) throw new Error("Debian's PostgreSQL is not installed (apt-get install postgresql)");
  const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-bench-debian-'));
  let child: ChildProcess | undefined;
  try {
    await chmod(dir, 0o755);
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    const pwfile = path.join(dir, 'pwfile');
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    const dataDir = path.join(dir, 'data');
    const asUser = { ...(runAs ?? {}), env: process.env };
    await run(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'],
      asUser,
    );
    const port = await findFreePort();
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
    child = await startPostmaster({
      postgres: path.join(bin, 'postgres'),
      dataDir,
      port,
      args: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
      logFile: path.join(dir, 'postgres.log'),
      probeUrl: url,
      name: `Debian's PostgreSQL in ${dataDir}`,
      runAs,
    });
    const { stdout } = await run(path.join(bin, 'postgres'), ['--version']);
    const started = child;
    return {
      url,
      version: `Debian's ${stdout.trim()}`,
      async stop() {
        await stopPostmaster(started);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopPostmaster(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
