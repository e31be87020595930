import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrations/migrate.js';
import { TEMPLATE_DATABASE, serverUrlFor } from './databaseNames.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser connection string to the test PostgreSQL server (any database name). */
    testServerUrl: string;
  }
}

/**
 * Starts one PostgreSQL for the whole run (embedded in a temp folder, or the server named by
 * TEST_DATABASE_URL) and migrates a template database that each test file clones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgres | undefined;
  let tempDir: string | undefined;
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-test-'));
    await chmod(tempDir, 0o755); // the postgres user must reach the cluster inside it
    embedded = await startEmbeddedPostgres({ dataDir: tempDir });
    serverUrl = embedded.connectionString();
  }
  const admin = new pg.Client({ connectionString: serverUrlFor(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  await applyMigrations(serverUrlFor(serverUrl, TEMPLATE_DATABASE));
  project.provide('testServerUrl', serverUrl);

  return async () => {
    await embedded?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}
