import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../../src/db/migrations/migrate.js';
import { openScratchServer } from '../../src/db/scratchServer.js';
import { TEMPLATE_DATABASE } from './testDatabase.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection string to the test PostgreSQL server's admin database. */
    testServerUrl: string;
  }
}

/**
 * Starts one PostgreSQL for the whole run (embedded in a temp folder, or the server named by
 * TEST_DATABASE_URL) and migrates a template database that each test file clones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await openScratchServer(process.env.TEST_DATABASE_URL, 'ordersource-test-');
  await applyMigrations(await server.createDatabase(TEMPLATE_DATABASE));
  project.provide('testServerUrl', server.urlFor('postgres'));
  return async () => {
    await server.dropDatabase(TEMPLATE_DATABASE);
    await server.close();
  };
}
