import { signAccessToken } from '../../src/auth/tokens.js';
import { FEATURES } from '../../src/features.js';
import { FAN_OUT_PROJECTION } from '../../src/reactions/fanOutProjection.js';
import { projectionsOf } from '../../src/services.js';
import { startBenchProcess, type BenchProcess } from './processes.js';

/** PROJECTIONS of a command server that leaves the deliveries to a process with `PROJECTIONS=reactions`. */
const ALL_BUT_REACTIONS = projectionsOf(FEATURES)
  .map((p) => p.name)
  .filter((name) => name !== FAN_OUT_PROJECTION)
  .join(',');

export const JWT_SECRET = 'benchmark-secret-benchmark-secret-0123456789';
/** Production needs its own key for personal data, as it needs a JWT secret. */
export const DATA_KEY_SECRET = 'benchmark-data-key-secret-0123456789-abcdef';

/**
 * For scenarios that keep a server up through seeding and catch-up: on a saturated shared machine
 * PostgreSQL may leave the 1.5 s heartbeat unanswered, and the health gate would then fail the
 * run's requests with DATABASE_UNAVAILABLE; an outage is not what these scenarios measure.
 */
export const BUSY_MACHINE = { DB_HEARTBEAT_TIMEOUT_MS: '15000' };

/**
 * Starts our server (`src/main.ts`, or with `built` the compiled `dist/main.js` of `npm run build`) on `databaseUrl`. The per-identity
 * mutation rate limit is off, and the cap on WebSockets per address raised: a benchmark is one
 * identity at one address sending (and subscribing) far more than an honest client would.
 */
export function startOurServer(
  databaseUrl: string,
  options: { runProjections?: boolean; cpu?: number; env?: Record<string, string>; root?: string; built?: boolean } = {},
): Promise<BenchProcess> {
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_SECRET,
    DATA_KEY_SECRET,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    RATE_LIMIT_MUTATIONS_PER_MINUTE: '0',
    WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
    RUN_PROJECTIONS: String(options.runProjections ?? true),
    ...options.env,
  };
  const script = options.built ? 'dist/main.js' : 'src/main.ts';
  return startBenchProcess(options.root ? `${options.root}/${script}` : script, env, 'Ordersource is listening', options.cpu);
}

/**
 * Our server on `databaseUrl`, pinned to core 0, as it makes the webhook, bus and email deliveries:
 * itself (one process, as `npm start` runs), or with `deliveriesApart` a command server whose
 * PROJECTIONS leave out `reactions` beside an unpinned process with `PROJECTIONS=reactions`.
 */
export async function startOurDeployment(
  databaseUrl: string,
  env: Record<string, string>,
  deliveriesApart: boolean,
): Promise<{ server: BenchProcess; deliverer?: BenchProcess }> {
  if (!deliveriesApart) return { server: await startOurServer(databaseUrl, { cpu: 0, env }) };
  const server = await startOurServer(databaseUrl, { cpu: 0, env: { ...env, PROJECTIONS: ALL_BUT_REACTIONS } });
  try {
    return { server, deliverer: await startOurServer(databaseUrl, { env: { ...env, PROJECTIONS: FAN_OUT_PROJECTION } }) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** The plain Yoga + `pg` baseline server (bench/baseline/plainYogaServer.ts). */
export function startPlainServer(databaseUrl: string, cpu?: number): Promise<BenchProcess> {
  return startBenchProcess('bench/baseline/plainYogaServer.ts', { DATABASE_URL: databaseUrl }, 'Plain Yoga is listening', cpu);
}

/** The CRUD peer (bench/baseline/crudServer.ts): the same tables kept in each request's transaction. */
export function startCrudServer(databaseUrl: string, cpu?: number): Promise<BenchProcess> {
  return startBenchProcess('bench/baseline/crudServer.ts', { DATABASE_URL: databaseUrl }, 'CRUD Yoga is listening', cpu);
}

export function staffToken(): Promise<string> {
  return signAccessToken({ sub: 'bench', role: 'staff' }, { secret: JWT_SECRET, isDevelopmentSecret: false });
}

/** POSTs one GraphQL operation and fails on GraphQL errors. */
export async function post(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data: Record<string, any> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: Record<string, any>; errors?: unknown };
  if (body.errors) throw new Error(`${query.slice(0, 80)}: ${JSON.stringify(body.errors)}`);
  return body;
}

/**
 * Adds a product with one unit of stock; returns the result's type name (servers sharing a database
 * each seed the same sku, and all but the first are refused, which they may ignore).
 */
export async function addProduct(url: string, token: string, sku: string): Promise<string> {
  const r = await post(
    url,
    token,
    `mutation { addProduct(input: {sku: "${sku}", name: "Bench", priceCents: 100, initialStock: 1}) { __typename } }`,
  );
  return String(r.data?.addProduct?.__typename);
}

/** Seeds a product and a customer on our server; returns the customer id. */
export async function seedCatalog(url: string, token: string, sku: string): Promise<string> {
  await addProduct(url, token, sku);
  const customer = await post(
    url,
    token,
    `mutation { registerCustomer(input: {name: "Bench", email: "${sku.toLowerCase()}@example.com"}) { ... on RegisterCustomerSuccess { customer { id } } } }`,
  );
  return customer.data.registerCustomer.customer.id as string;
}

/** Creates orders on our server, one request each, eight at a time. */
export async function createOrders(url: string, token: string, customerId: string, orderIds: string[]): Promise<void> {
  const queue = [...orderIds];
  const worker = async () => {
    for (let o = queue.shift(); o !== undefined; o = queue.shift()) {
      const r = await post(url, token, 'mutation($c: ID!, $o: ID!) { createOrder(input: {customerId: $c, orderId: $o}) { __typename } }', {
        c: customerId,
        o,
      });
      if (r.data.createOrder.__typename !== 'CreateOrderSuccess') throw new Error(`createOrder ${o}: ${JSON.stringify(r.data)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** The addItem request bodies, one per order, for our server and for the plain one. */
export function addItemBodies(orderIds: string[], sku: string): { ours: string[]; plain: string[] } {
  return {
    ours: orderIds.map((o) =>
      JSON.stringify({ query: `mutation { addItem(input: {orderId: "${o}", sku: "${sku}", quantity: 1}) { __typename } }` }),
    ),
    plain: orderIds.map((o) => JSON.stringify({ query: `mutation { addItem(orderId: "${o}", sku: "${sku}", quantity: 1) }` })),
  };
}

export function authHeaders(token: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}
