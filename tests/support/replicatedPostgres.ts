import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { connectDatabase, type Database } from '../../src/db/database.js';
import { ensurePostgresUser, type RunAs } from '../../src/db/embeddedBinaries.js';
import { findFreePort } from '../../src/db/freePort.js';
import { applyMigrations } from '../../src/db/migrations/migrate.js';
import { createDatabaseIfMissing } from '../../src/db/storage.js';
import { postmasterChildren, startPostmaster, stopPostmaster } from './postgresProcess.js';
import type { TestDatabase } from './testDatabase.js';

const run = promisify(execFile);

/** One PostgreSQL server of the pair, which the test can stop, start and freeze. */
export interface PostgresNode {
  port: number;
  /** The migrated `ordersource` database on it. */
  url: string;
  /** Fast shutdown (a real outage: connections cut, new ones refused). */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** SIGSTOP (or SIGCONT) the postmaster and its children whose process title matches `title` (all by default). */
  signal(sig: 'SIGSTOP' | 'SIGCONT', title?: RegExp): void;
}

/** A primary and a streaming replica of it (`pg_basebackup -R`), Debian's PostgreSQL. */
export interface ReplicatedPostgres {
  primary: PostgresNode;
  /** The first replica (`replicas[0]`). */
  replica: PostgresNode;
  /** Every replica, each cloned from the primary on its own. */
  replicas: PostgresNode[];
  destroy(): Promise<void>;
}

/** The newest Debian PostgreSQL (`apt-get install postgresql`), or undefined when it is not installed. */
export function debianPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'pg_basebackup')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

const PASSWORD = 'replica-test-password';

/**
 * Makes a primary (wal_level=replica, a `replicator` role allowed to replicate from 127.0.0.1),
 * migrates its `ordersource` database, clones a standby with `pg_basebackup -R` and starts it with
 * `replicaSettings` (e.g. `recovery_min_apply_delay`); `count` standbys, each cloned on its own (a
 * benchmark compares one with two; none for a lone Debian server). `primarySettings` go to the primary. Run as root, they all run as the `postgres` user.
 */
export async function startReplicatedPostgres(
  replicaSettings: Record<string, string> = {},
  count = 1,
  primarySettings: Record<string, string> = {},
): Promise<ReplicatedPostgres> {
  const bin = debianPostgresBin();
  if (!bin) throw new Error('Debian PostgreSQL is not installed (apt-get install postgresql): the replica tests need pg_basebackup');
  const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-replicas-'));
  await chmod(dir, 0o755);
  if (runAs) await chown(dir, runAs.uid, runAs.gid);
  const asUser = { ...(runAs ?? {}), env: { ...process.env, PGPASSWORD: PASSWORD } };
  const nodes: Node[] = [];
  try {
    const pwfile = path.join(dir, 'pwfile');
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    const primaryDir = path.join(dir, 'primary');
    await run(
      path.join(bin, 'initdb'),
      ['-D', primaryDir, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8'],
      asUser,
    );
    await appendFile(path.join(primaryDir, 'pg_hba.conf'), 'host replication replicator 127.0.0.1/32 scram-sha-256\n');
    const common = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'fsync=off'];
    const primary = new Node(
      bin,
      primaryDir,
      await findFreePort(),
      [
        '-c',
        'wal_level=replica',
        '-c',
        'max_wal_senders=5',
        ...common,
        ...Object.entries(primarySettings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      runAs,
    );
    nodes.push(primary);
    await primary.start();
    const admin = `postgres://postgres:${PASSWORD}@127.0.0.1:${primary.port}/postgres`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${PASSWORD}'`);
    await client.end();
    await createDatabaseIfMissing(admin, 'ordersource');
    await applyMigrations(primary.url);

    const replicas: Node[] = [];
    for (let i = 0; i < count; i++) {
      const replicaDir = path.join(dir, i === 0 ? 'replica' : `replica${i + 1}`);
      await run(
        path.join(bin, 'pg_basebackup'),
        ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'replicator', '-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast'],
        asUser,
      );
      const settings = Object.entries({ hot_standby: 'on', wal_receiver_status_interval: '1s', ...replicaSettings }).flatMap(([k, v]) => [
        '-c',
        `${k}=${v}`,
      ]);
      const replica = new Node(bin, replicaDir, await findFreePort(), [...common, ...settings], runAs);
      nodes.push(replica);
      replicas.push(replica);
      await replica.start();
    }
    return {
      primary,
      replica: replicas[0]!,
      replicas,
      async destroy() {
        for (const node of nodes.reverse()) await node.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const node of nodes.reverse()) await node.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

class Node implements PostgresNode {
  private child?: ChildProcess;
  readonly url: string;

  constructor(
    private readonly bin: string,
    private readonly dataDir: string,
    readonly port: number,
    private readonly args: string[],
    private readonly runAs?: RunAs,
  ) {
    this.url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/ordersource`;
  }

  async start(): Promise<void> {
    this.child = await startPostmaster({
      postgres: path.join(this.bin, 'postgres'),
      dataDir: this.dataDir,
      port: this.port,
      args: this.args,
      logFile: path.join(path.dirname(this.dataDir), `${path.basename(this.dataDir)}.log`),
      probeUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:${this.port}/postgres`,
      name: `PostgreSQL in ${this.dataDir}`,
      runAs: this.runAs,
    });
  }

  async stop(): Promise<void> {
    const running = this.child;
    this.child = undefined;
    await stopPostmaster(running);
  }

  signal(sig: 'SIGSTOP' | 'SIGCONT', title?: RegExp): void {
    const postmaster = this.child?.pid;
    if (postmaster === undefined) throw new Error('PostgreSQL is not running');
    const pids = postmasterChildren(postmaster, title);
    if (title && pids.length === 0) throw new Error(`no PostgreSQL process matches ${title}`);
    for (const pid of title ? pids : [postmaster, ...pids]) {
      try {
        process.kill(pid, sig);
      } catch (error) {
        // A backend listed a moment ago may have exited since (a client disconnected): nothing to signal.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }

  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null) this.signal('SIGCONT');
    await this.stop();
  }
}

/**
 * The pair's primary as a test server's database: its migrated `ordersource` database itself (the
 * one the replicas stream), not a clone. `drop` closes the pools it opened and drops nothing.
 */
export function primaryTestDatabase(pair: ReplicatedPostgres): TestDatabase {
  const opened: Database[] = [];
  return {
    name: 'ordersource',
    connectionString: pair.primary.url,
    connect: (options) => {
      const db = connectDatabase(pair.primary.url, { poolSize: options?.poolSize ?? 10 });
      opened.push(db);
      return db;
    },
    drop: async () => {
      await Promise.all(opened.map((db) => db.close()));
    },
  };
}
