import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { connectDatabase, type Database, type DatabaseOptions } from '../../src/db/database.js';
import { openScratchServer } from '../../src/db/scratchServer.js';

/** The migrated database every test database is cloned from (created by globalSetup). */
export const TEMPLATE_DATABASE = 'ordersource_test_template';

/** A fresh, migrated database of its own for one test file, and how to drop it. */
export interface TestDatabase {
  name: string;
  connectionString: string;
  /** Opens a pool + Prisma client on it (closed by `drop()`), patient enough for a busy CI machine. */
  connect(options?: DatabaseOptions): Database;
  drop(): Promise<void>;
}

/** Clones the migrated template into a new database (a file-system copy: fast). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = await openScratchServer(inject('testServerUrl'));
  const name = `ordersource_test_${randomBytes(6).toString('hex')}`;
  // Cloning needs the template to have no other sessions, and parallel files may clone at once.
  for (let attempt = 1; ; attempt++) {
    try {
      await server.createDatabase(name, { template: TEMPLATE_DATABASE });
      break;
    } catch (error) {
      if (attempt >= 20 || !String((error as Error).message).includes('being accessed by other users')) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
  const connectionString = server.urlFor(name);
  const opened: Database[] = [];
  return {
    name,
    connectionString,
    connect(options) {
      // Many test files share one PostgreSQL on a 2-core machine: connections and heartbeats may
      // take seconds there without anything being down. The fault tests use the server's defaults.
      const db = connectDatabase(connectionString, {
        poolSize: 10,
        connectTimeoutMs: 10_000,
        heartbeat: { intervalMs: 500, timeoutMs: 10_000 },
        ...options,
      });
      opened.push(db);
      return db;
    },
    async drop() {
      await Promise.all(opened.map((db) => db.close()));
      await server.dropDatabase(name);
    },
  };
}
