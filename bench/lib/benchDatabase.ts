import { applyMigrations } from '../../src/db/migrations/migrate.js';
import { openScratchServer, type ScratchServer } from '../../src/db/scratchServer.js';

/** A PostgreSQL server for benchmarks: BENCH_DATABASE_URL's, or an embedded one in a temp folder. */
export function startBenchServer(): Promise<ScratchServer> {
  return openScratchServer(process.env.BENCH_DATABASE_URL, 'ordersource-bench-');
}

/** Creates a fresh database with every migration applied. */
export async function createMigratedDatabase(server: ScratchServer, name: string): Promise<string> {
  const url = await server.createDatabase(name);
  await applyMigrations(url);
  return url;
}
