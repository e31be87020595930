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
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MIGRATIONS_DIR, MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE, diffMigration } from '../src/db/migrations/migrate.js';
import { openScratchServer, type ScratchServer } from '../src/db/scratchServer.js';

const SCHEMA_PATH = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));

/** Computes the diff on a scratch database that exists only for this call. */
async function diffOnScratchDatabase(server: ScratchServer): Promise<string | null> {
  const database = `ordersource_shadow_${randomBytes(6).toString('hex')}`;
  const url = await server.createDatabase(database);
  try {
    return await diffMigration(url, SCHEMA_PATH, DEFAULT_MIGRATIONS_DIR);
  } finally {
    await server.dropDatabase(database);
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
  const server = await openScratchServer(serverUrl, 'ordersource-shadow-');
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
