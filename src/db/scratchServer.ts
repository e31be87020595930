import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded.js';

/** A PostgreSQL server to create and drop throwaway databases on (tests, benchmarks, migration diffs). */
export interface ScratchServer {
  /** The server's URL with `database` as the database. */
  urlFor(database: string): string;
  /** Creates `database` (dropping any leftover of that name first) and returns its URL. */
  createDatabase(database: string, options?: { template?: string }): Promise<string>;
  dropDatabase(database: string): Promise<void>;
  /** Stops the embedded server and removes its folder (nothing for an external one). */
  close(): Promise<void>;
}

/** The same server URL pointed at another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Uses the PostgreSQL at `serverUrl` when given (its own database is used for CREATE/DROP
 * DATABASE), otherwise starts an embedded one in a new temp folder.
 */
export async function openScratchServer(serverUrl?: string, prefix = 'ordersource-scratch-'): Promise<ScratchServer> {
  let close = async () => {};
  if (!serverUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
    try {
      await chmod(dataDir, 0o755); // run as root, the postgres user must reach the cluster inside
      const embedded = await startEmbeddedPostgres({ dataDir });
      serverUrl = embedded.connectionString();
      close = async () => {
        await embedded.stop();
        await rm(dataDir, { recursive: true, force: true });
      };
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }
  const adminUrl = serverUrl;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return {
    urlFor: (database) => withDatabase(adminUrl, database),
    async createDatabase(database, options) {
      // FORCE (PostgreSQL 13+): a session that is still closing must not make the drop fail.
      await admin(`DROP DATABASE IF EXISTS ${quote(database)} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${quote(database)}${options?.template ? ` TEMPLATE ${quote(options.template)}` : ''}`);
      return withDatabase(adminUrl, database);
    },
    dropDatabase: (database) => admin(`DROP DATABASE IF EXISTS ${quote(database)} WITH (FORCE)`),
    close: () => close(),
  };
}
