import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openScratchServer } from '../scratchServer.js';
import { DEFAULT_MIGRATIONS_DIR, MIGRATION_RUN_LOCK_KEY, applyMigrations, diffMigration } from './migrate.js';

// These tests need EMPTY databases, not clones of the migrated test template, so they create
// their own on the run's server (embedded, or TEST_DATABASE_URL's; see tests/support/globalSetup).

const SCHEMA_PATH = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));
const created: string[] = [];

/** Creates an empty database, dropped after the test; returns its URL. */
async function emptyDatabase(): Promise<string> {
  const name = `ordersource_migrate_${randomBytes(6).toString('hex')}`;
  created.push(name);
  return (await openScratchServer(inject('testServerUrl'))).createDatabase(name);
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

const recorded = (url: string) => query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');

afterEach(async () => {
  const server = await openScratchServer(inject('testServerUrl'));
  for (const name of created.splice(0)) await server.dropDatabase(name);
});

describe('applyMigrations', () => {
  it('applies every migration once and records it in _prisma_migrations', async () => {
    const url = await emptyDatabase();
    const names = await migrationNames();

    const { applied } = await applyMigrations(url);

    expect(names.length).toBeGreaterThan(0);
    expect(applied).toEqual(names);
    const rows = await recorded(url);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(await query(url, `SELECT to_regclass('events') AS events`)).toEqual([{ events: 'events' }]);
  });

  it('a second run applies nothing', async () => {
    const url = await emptyDatabase();
    await applyMigrations(url);
    const before = await recorded(url);

    const { applied } = await applyMigrations(url);

    expect(applied).toEqual([]);
    expect(await recorded(url)).toEqual(before);
  });

  it('two concurrent runs apply each migration exactly once', async () => {
    const url = await emptyDatabase();

    const runs = await Promise.all([applyMigrations(url), applyMigrations(url)]);

    const appliedByEither = runs.flatMap((run) => run.applied).sort();
    expect(appliedByEither).toEqual(await migrationNames());
    expect((await recorded(url)).map((row) => row.migration_name)).toEqual(await migrationNames());
  });

  it('a run waits while another session holds the migration lock', async () => {
    const url = await emptyDatabase();
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_RUN_LOCK_KEY]);
      const run = applyMigrations(url);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const table = await query(url, `SELECT to_regclass('_prisma_migrations') AS t`);
      expect(table).toEqual([{ t: null }]);

      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_RUN_LOCK_KEY]);
      expect((await run).applied).toEqual(await migrationNames());
    } finally {
      await holder.end();
    }
  });

  it('the checksum equals sha256 of migration.sql', async () => {
    const url = await emptyDatabase();
    await applyMigrations(url);

    for (const row of await recorded(url)) {
      const sql = await readFile(join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    }
  });
});

/** The migrations of the previous release (the last of them is the one named), in a folder of their own. */
async function migrationsUpTo(last: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ordersource-previous-release-'));
  for (const name of (await migrationNames()).filter((n) => n <= last))
    await cp(join(DEFAULT_MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
  return dir;
}

describe('upgrading a database written by the previous release', () => {
  it('gives each stored command result the caller its events recorded, and claims each payment reference for the first order it paid', async () => {
    const url = await emptyDatabase();
    const previous = await migrationsUpTo('20261123183000_load_streams_function');
    try {
      await applyMigrations(url, previous);
    } finally {
      await rm(previous, { recursive: true, force: true });
    }
    await query(
      url,
      `
      INSERT INTO events (stream_id, stream_type, version, type, data, metadata) VALUES
        ('Order-o1', 'Order', 1, 'OrderCreated', '{"orderId":"o1","customerId":"c1"}', '{"commandId":"cmd-1","actor":"customer:c1"}'),
        ('Order-o2', 'Order', 1, 'OrderCreated', '{"orderId":"o2","customerId":"c2"}', '{"commandId":"cmd-1x","actor":"customer:c2"}'),
        ('Order-o1', 'Order', 2, 'PaymentRecorded', '{"amountCents":100,"paymentRef":"ref-a"}', '{"commandId":"pay-1","actor":"customer:c1","occurredAt":"2026-11-20T10:00:00.000Z"}'),
        ('Order-o2', 'Order', 2, 'PaymentRecorded', '{"amountCents":100,"paymentRef":"ref-a"}', '{"commandId":"pay-2","actor":"customer:c2"}');
      INSERT INTO command_results (command_id, input_hash, result) VALUES
        ('cmd-1', 'h1', '{"result":{"aggregateId":"o1"}}'), ('pay-1', 'h2', '{}'), ('no-events', 'h3', '{}');
    `,
    );

    await applyMigrations(url);

    expect(await query(url, 'SELECT caller, command_id FROM command_results ORDER BY command_id')).toEqual([
      { caller: 'customer:c1', command_id: 'cmd-1' },
      { caller: '', command_id: 'no-events' },
      { caller: 'customer:c1', command_id: 'pay-1' },
    ]);
    expect(await query(url, `SELECT stream_id, version, type, data, metadata FROM events WHERE stream_type = 'PaymentRef'`)).toEqual([
      {
        stream_id: 'PaymentRef-ref-a',
        version: 1,
        type: 'PaymentRefClaimed',
        data: { orderId: 'o1' },
        metadata: { actor: 'system:migration', occurredAt: '2026-11-20T10:00:00.000Z' },
      },
    ]);
  });
});

describe('diffMigration', () => {
  it('diff reports no change when the schema matches the migrations', async () => {
    const shadow = await emptyDatabase();

    expect(await diffMigration(shadow, SCHEMA_PATH, DEFAULT_MIGRATIONS_DIR)).toBeNull();
  });

  it('diff from no migrations creates the whole schema without CREATE SCHEMA', async () => {
    const shadow = await emptyDatabase();
    const noMigrations = await mkdtemp(join(tmpdir(), 'ordersource-no-migrations-'));
    try {
      const sql = await diffMigration(shadow, SCHEMA_PATH, noMigrations);

      expect(sql).toContain('CREATE TABLE "events"');
      expect(sql).not.toContain('CREATE SCHEMA');
    } finally {
      await rm(noMigrations, { recursive: true, force: true });
    }
  });
});
