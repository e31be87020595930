/**
 * Writes the next Prisma migration from prisma/schema.prisma, like `prisma migrate dev --create-only`
 * would, but through the wasm schema engine (the native one cannot be downloaded here).
 *
 * Usage: `tsx scripts/db-migration.ts <name>`. The diff needs a shadow database: a scratch
 * `ordersource_shadow_<random>` database on the server of SHADOW_DATABASE_SERVER_URL or
 * DATABASE_URL, else on a throwaway embedded PostgreSQL; either is removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  diffMigration,
} from '../src/db/migrations/migrate.js';

const SCHEMA_PATH = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));

/** A PostgreSQL server we may create and drop databases on. */
interface ShadowServer {
  urlFor(database: string): string;
  /** Database to connect to for CREATE/DROP DATABASE. */
  adminDatabase: string;
  close(): Promise<void>;
}

/** Uses the server of an existing URL: same host and credentials, another database. */
function serverFromUrl(url: string): ShadowServer {
  const urlFor = (database: string) => {
    const next = new URL(url);
    next.pathname = `/${database}`;
    return next.toString();
  };
  const adminDatabase = decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
  return { urlFor, adminDatabase, close: async () => {} };
}

/** Starts a throwaway embedded cluster in a fresh temp folder and removes both on close. */
async function startThrowawayServer(): Promise<ShadowServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ordersource-shadow-'));
  try {
    await chmod(dataDir, 0o755); // when run as root, the postgres user must reach the cluster inside
    const cluster = await startEmbeddedPostgres({ dataDir });
    return {
      urlFor: (database) => cluster.connectionString(database),
      adminDatabase: 'postgres',
      close: async () => {
        await cluster.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs one statement (CREATE or DROP DATABASE) on the server's admin database. */
async function adminQuery(server: ShadowServer, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.urlFor(server.adminDatabase) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Computes the diff on a scratch database that exists only for this call. */
async function diffOnScratchDatabase(server: ShadowServer): Promise<string | null> {
  const database = `ordersource_shadow_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE "${database}"`);
  try {
    return await diffMigration(server.urlFor(database), SCHEMA_PATH, DEFAULT_MIGRATIONS_DIR);
  } finally {
    // FORCE (PostgreSQL 13+): a session that is still closing must not make the drop fail.
    await adminQuery(server, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

/** `20261123134500`: the UTC timestamp prefix of Prisma's migration folder names. */
function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** Prisma-style folder suffix: lower case, words joined by `_`. */
function migrationSlug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

async function main(): Promise<void> {
  const slug = migrationSlug(process.argv[2] ?? '');
  if (!slug) {
    console.error('usage: tsx scripts/db-migration.ts <name>');
    process.exitCode = 1;
    return;
  }
  const serverUrl = process.env.SHADOW_DATABASE_SERVER_URL || process.env.DATABASE_URL;
  const server = serverUrl ? serverFromUrl(serverUrl) : await startThrowawayServer();
  let sql: string | null;
  try {
    sql = await diffOnScratchDatabase(server);
  } finally {
    await server.close();
  }
  if (sql === null) {
    console.log('no changes');
    return;
  }
  const folder = `${migrationTimestamp(new Date())}_${slug}`;
  await mkdir(join(DEFAULT_MIGRATIONS_DIR, folder), { recursive: true });
  await writeFile(join(DEFAULT_MIGRATIONS_DIR, folder, 'migration.sql'), sql);
  const lockPath = join(DEFAULT_MIGRATIONS_DIR, MIGRATION_LOCK_FILE);
  if (!existsSync(lockPath)) await writeFile(lockPath, MIGRATION_LOCK_CONTENT);
  console.log(`created prisma/migrations/${folder}/migration.sql`);
}

await main();
