import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations/migrate.js';

/** A PostgreSQL server for benchmarks: BENCH_DATABASE_URL's, or an embedded one in a temp folder. */
export async function startBenchServer(): Promise<{ urlFor(database: string): string; createDatabase(name: string, migrate?: boolean): Promise<string>; stop(): Promise<void> }> {
  let stop = async () => {};
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-bench-'));
    await chmod(dir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir: dir });
    serverUrl = embedded.connectionString();
    stop = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const urlFor = (database: string) => {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  };
  return {
    urlFor,
    async createDatabase(name, migrate = false) {
      const admin = new pg.Client({ connectionString: urlFor('postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      if (migrate) await applyMigrations(urlFor(name));
      return urlFor(name);
    },
    stop: () => stop(),
  };
}
