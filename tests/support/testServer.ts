import { loadConfig } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import type { FeatureModule } from '../../src/feature.js';
import { FEATURES } from '../../src/features.js';
import { createLogger } from '../../src/logger.js';
import { createServices, startServices, stopServices, type Services } from '../../src/services.js';
import { createTestDatabase, type TestDatabase } from './testDatabase.js';

/** A real server on a free port over a fresh database, for end-to-end tests. */
export interface TestServer {
  app: App;
  services: Services;
  database: TestDatabase;
  /** POSTs a GraphQL operation and returns the parsed JSON body. */
  graphql<T = unknown>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts a server on a fresh database, or on `options.database` (shared with other servers, as
 * processes of one deployment share a PostgreSQL; the caller then drops it). `features`: the
 * service's features (default: all of them), e.g. with a test's own added.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { database?: TestDatabase; features?: readonly FeatureModule[] } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env });
  const logger = createLogger(config.logLevel);
  const db = database.connect({ poolSize: 20 });
  const services = createServices({ config, logger, db, features: options.features ?? FEATURES });
  await startServices(services);
  const app = await startApp(services, { port: 0, host: '127.0.0.1' });
  return {
    app,
    services,
    database,
    wsUrl: app.url.replace(/^http/, 'ws'),
    async graphql(query, variables, headers) {
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
    async stop() {
      await app.stop(1_000);
      await stopServices(services);
      if (!options.database) await database.drop();
    },
  };
}
