import { afterAll, beforeAll } from 'vitest';
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
  graphql<T = unknown>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  wsUrl: string;
  stop(): Promise<void>;
}

/** Servers started and not yet stopped, so that one place can stop whatever a test file left running. */
const running = new Set<TestServer>();

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
  // A test file plays every client from one loopback address, registering far more customers than
  // one real client may an hour: the sign-up limit is off unless a test sets it (its own tests do).
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', SIGNUP_RATE_PER_HOUR: '0', ...env });
  const logger = createLogger(config.logLevel);
  const db = database.connect({ poolSize: 20 });
  const services = createServices({ config, logger, db, features: options.features ?? FEATURES });
  await startServices(services);
  const app = await startApp(services, { port: 0, host: '127.0.0.1' });
  let stopping: Promise<void> | undefined;
  const server: TestServer = {
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
    stop() {
      // Idempotent: a test may stop its server early, and the file's clean-up stops it again.
      stopping ??= (async () => {
        running.delete(server);
        await app.stop(1_000);
        await stopServices(services);
        if (!options.database) await database.drop();
      })();
      return stopping;
    },
  };
  running.add(server);
  return server;
}

/** Stops every server started and not stopped yet (the clean-up every database test file runs last). */
export async function stopTestServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

type Lazy<T> = T | (() => T);
const resolve = <T>(value: Lazy<T>): T => (typeof value === 'function' ? (value as () => T)() : value);

/**
 * A server for the enclosing file or `describe`: started in `beforeAll` (after the hooks
 * registered before this call) and stopped in `afterAll` (before the hooks registered before it).
 * `env` and `options` may be functions, read when the server starts, for values another hook
 * makes (a shared database, a temporary file). The returned server may be used from hooks and
 * tests once started.
 */
export function useTestServer(
  env: Lazy<Record<string, string>> = {},
  options: Lazy<{ database?: TestDatabase; features?: readonly FeatureModule[] }> = {},
): TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(resolve(env), resolve(options));
  });
  afterAll(() => server?.stop());
  return startedLater(() => server);
}

/** Servers like `useTestServer`'s, one per `env`, started side by side (each on a fresh database). */
export function useTestServers<const Envs extends readonly Record<string, string>[]>(...envs: Envs): { [K in keyof Envs]: TestServer } {
  let servers: TestServer[] = [];
  beforeAll(async () => {
    // Should one fail to start, the file's clean-up (`stopTestServers`) stops the others.
    servers = await Promise.all(envs.map((env) => startTestServer(env)));
  });
  afterAll(() => Promise.all(servers.map((server) => server.stop())));
  return envs.map((_, i) => startedLater(() => servers[i])) as { [K in keyof Envs]: TestServer };
}

/** A `TestServer` that forwards to the one `current()` returns once a hook has started it. */
function startedLater(current: () => TestServer | undefined): TestServer {
  const started = (): TestServer => {
    const server = current();
    if (!server) throw new Error('the test server starts in beforeAll: use it from hooks and tests');
    return server;
  };
  return {
    get app() {
      return started().app;
    },
    get services() {
      return started().services;
    },
    get database() {
      return started().database;
    },
    get wsUrl() {
      return started().wsUrl;
    },
    graphql<T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) {
      return started().graphql<T>(query, variables, headers);
    },
    stop: () => started().stop(),
  };
}
