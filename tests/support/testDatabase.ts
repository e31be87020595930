import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/database.js';
import { TEMPLATE_DATABASE, serverUrlFor } from './databaseNames.js';

/** A fresh, migrated database of its own for one test file, and how to drop it. */
export interface TestDatabase {
  name: string;
  connectionString: string;
  /** Opens a pool + Prisma client on it; closed by `drop()`. */
  connect(options?: { poolSize?: number }): Database;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrlFor(inject('testServerUrl'), 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Clones the migrated template into a new database (a file-system copy: fast). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ordersource_test_${randomBytes(6).toString('hex')}`;
  // Cloning needs the template to have no other sessions; parallel files may clone at once.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
      break;
    } catch (error) {
      if (attempt >= 20 || !String((error as Error).message).includes('being accessed by other users')) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const connectionString = serverUrlFor(inject('testServerUrl'), name);
  const opened: Database[] = [];
  return {
    name,
    connectionString,
    connect(options) {
      const db = connectDatabase(connectionString, { poolSize: options?.poolSize ?? 10 });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.all(opened.map((db) => db.close()));
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
