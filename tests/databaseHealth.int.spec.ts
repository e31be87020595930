import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useExecutionTimeout } from '../src/graphql/security/executionTimeout.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { connectDatabase, isDatabaseUnavailable, isStorageFull, type Database } from '../src/db/database.js';
import { cancelDatabaseWork, DatabaseWork, runWithDatabaseWork } from '../src/db/gatedPool.js';
import type { DatabaseTrouble } from '../src/db/health.js';

let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect({ poolSize: 4 });
});
afterAll(() => testDb.drop());

/** Backends of this database running `pg_sleep` (the statements a cancel must stop). */
async function sleepingBackends(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()`,
  );
  return rows[0]!.n;
}

// Half the 30 s the statements sleep: gone before it, they were stopped.
const STOPPED_WITHIN = { timeout: 15_000, message: 'statements still running' };

describe('cancelling the database work of an execution', () => {
  it('stops its running statements in PostgreSQL, both through the pool and through Prisma, and refuses its later ones', async () => {
    const work = new DatabaseWork();
    const viaPool = runWithDatabaseWork(work, () => db.pool.query('SELECT pg_sleep(30)'));
    // A Prisma query starts when awaited (as in a resolver), so it is awaited inside the work.
    const viaPrisma = runWithDatabaseWork(work, async () => await db.prisma.$queryRawUnsafe('SELECT pg_sleep(30)'));
    viaPool.catch(() => {});
    viaPrisma.catch(() => {});
    for (let i = 0; i < 100 && (await sleepingBackends()) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await sleepingBackends()).toBe(2);

    await cancelDatabaseWork(db.pool, work);
    // Stopped, not finished: both fail, and their 30 s sleeps are gone from PostgreSQL.
    await expect(viaPool).rejects.toThrow();
    await expect(viaPrisma).rejects.toThrow();
    await expect.poll(sleepingBackends, STOPPED_WITHIN).toBe(0);
    await expect(runWithDatabaseWork(work, () => db.pool.query('SELECT 1'))).rejects.toMatchObject({ code: '57014' });
    // Work outside the cancelled execution is untouched.
    expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('happens when an execution is answered EXECUTION_TIMEOUT', async () => {
    const plugin = useExecutionTimeout(300, db.pool);
    let execute: ((args: unknown) => Promise<unknown>) | undefined;
    plugin.onExecute!({
      executeFn: () => db.pool.query('SELECT pg_sleep(30)').then(() => ({ data: {} })),
      setExecuteFn: (fn: (args: unknown) => Promise<unknown>) => (execute = fn),
    } as never);
    const result = (await execute!({})) as { errors: { extensions: { code: string } }[] };
    expect(result.errors[0]!.extensions.code).toBe('EXECUTION_TIMEOUT');
    await expect.poll(sleepingBackends, STOPPED_WITHIN).toBe(0);
  });
});

describe('DB_STATEMENT_TIMEOUT_MS', () => {
  it('makes PostgreSQL end a pooled statement that runs longer', async () => {
    const bounded = connectDatabase(testDb.connectionString, { poolSize: 1, statementTimeoutMs: 200, heartbeat: false });
    try {
      await expect(bounded.pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await bounded.close();
    }
  });
});

describe('the database down for lack of space, as the process running it reports', () => {
  it('answers STORAGE_FULL for its requests and readiness while it lasts, and serves again once it no longer says so', async () => {
    let serverTrouble: DatabaseTrouble | undefined = { code: 'STORAGE_FULL', message: 'the database is out of storage space' };
    const reported = connectDatabase(testDb.connectionString, { poolSize: 1, heartbeat: false, serverTrouble: () => serverTrouble });
    try {
      const refused = await reported.pool.query('SELECT 1').catch((error: unknown) => error);
      expect(isStorageFull(refused)).toBe(true);
      expect(isDatabaseUnavailable(refused)).toBe(false);
      expect(reported.health.trouble()).toMatchObject({ code: 'STORAGE_FULL' });
      // The refusals are no failed writes: nothing holds STORAGE_FULL once the server is back.
      reported.health.noteStorageFull();
      serverTrouble = undefined;
      expect(reported.health.trouble()).toBeUndefined();
      expect((await reported.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await reported.close();
    }
  });
});
