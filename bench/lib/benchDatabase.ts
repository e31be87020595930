import { applyMigrations } from '../../src/db/migrations/migrate.js';
import { openScratchServer, type ScratchServer } from '../../src/db/scratchServer.js';

let shared: Promise<ScratchServer> | undefined;

/**
 * The PostgreSQL server for benchmarks: BENCH_DATABASE_URL's, or one embedded server in a temp
 * folder shared by every scenario of a run (each scenario uses databases of its own names). A
 * scenario's `close()` leaves it running; `closeBenchServer` stops it at the end of the run.
 */
export async function startBenchServer(): Promise<ScratchServer> {
  shared ??= openScratchServer(process.env.BENCH_DATABASE_URL, 'ordersource-bench-');
  const server = await shared;
  return { ...server, close: async () => {} };
}

/** Stops the shared benchmark server (if one was started). */
export async function closeBenchServer(): Promise<void> {
  const server = shared;
  shared = undefined;
  await (await server)?.close();
}

/**
 * Creates a fresh database with every migration applied: this checkout's, or those of the checkout
 * at `root` (a BENCH_COMPARE_ROOT, whose server expects its own schema).
 */
export async function createMigratedDatabase(server: ScratchServer, name: string, root?: string): Promise<string> {
  const url = await server.createDatabase(name);
  await applyMigrations(url, ...(root ? [`${root}/prisma/migrations`] : []));
  return url;
}
