import autocannon from 'autocannon';
import pg from 'pg';
import { signAccessToken } from '../src/auth/tokens.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import { startBenchProcess } from './lib/processes.js';

const JWT_SECRET = 'benchmark-secret-benchmark-secret-0123456789';
const ORDERS = 64;

/** POSTs one GraphQL operation. */
async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data: Record<string, any> };
}

/** Runs autocannon against `url` cycling through `bodies`; returns the run's duration in seconds. */
async function load(url: string, token: string, bodies: string[], connections: number, durationMs: number): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: durationMs / 1000,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result.duration;
}

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query<{ n: string }>(sql);
  await client.end();
  return Number(rows[0]!.n);
}

/**
 * Mutation end to end over HTTP: `addItem` on our server (auth, validation, load, decide, append)
 * vs a plain Yoga server whose resolver does one `pg` insert transaction. Successful mutations/s,
 * counted in the database afterwards (ItemAdded events vs inserted rows).
 */
export async function runMutationBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const oursUrl = await createMigratedDatabase(server, 'bench_mutation_ours');
  const plainUrl = await server.createDatabase('bench_mutation_plain');
  const ours = await startBenchProcess('src/main.ts', { DATABASE_URL: oursUrl, JWT_SECRET, LOG_LEVEL: 'info', NODE_ENV: 'production' }, 'Ordersource is listening', 0);
  const plain = await startBenchProcess('bench/baseline/plainYogaServer.ts', { DATABASE_URL: plainUrl }, 'Plain Yoga is listening', 0);
  const token = await signAccessToken({ sub: 'bench', role: 'staff' }, { secret: JWT_SECRET, isDevelopmentSecret: false });

  await post(ours.url, token, 'mutation { addProduct(input: {sku: "BENCH-1", name: "Bench", priceCents: 100, initialStock: 1}) { __typename } }');
  const customer = await post(ours.url, token, 'mutation { registerCustomer(input: {name: "Bench", email: "bench@example.com"}) { ... on RegisterCustomerSuccess { customer { id } } } }');
  const customerId = customer.data.registerCustomer.customer.id as string;
  const lines: string[] = [];
  for (const connections of [1, 16]) {
    const oursRates: number[] = [];
    const plainRates: number[] = [];
    for (let run = 0; run < runs; run++) {
      // Fresh orders each run, so no order line nears its 1000-unit bound.
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `bench-${connections}-${run}-${i}`);
      for (const orderId of orderIds) await post(ours.url, token, 'mutation($c: ID!, $o: ID!) { createOrder(input: {customerId: $c, orderId: $o}) { __typename } }', { c: customerId, o: orderId });
      const oursBodies = orderIds.map((o) => JSON.stringify({ query: `mutation { addItem(input: {orderId: "${o}", sku: "BENCH-1", quantity: 1}) { __typename } }` }));
      const plainBodies = orderIds.map((o) => JSON.stringify({ query: `mutation { addItem(orderId: "${o}", sku: "BENCH-1", quantity: 1) }` }));
      const before = await count(oursUrl, `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`);
      const oursSeconds = await load(ours.url, token, oursBodies, connections, durationMs);
      oursRates.push(((await count(oursUrl, `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`)) - before) / oursSeconds);
      const plainBefore = await count(plainUrl, 'SELECT count(*) AS n FROM plain_items');
      const plainSeconds = await load(plain.url, token, plainBodies, connections, durationMs);
      plainRates.push(((await count(plainUrl, 'SELECT count(*) AS n FROM plain_items')) - plainBefore) / plainSeconds);
    }
    const o = median(oursRates);
    const p = median(plainRates);
    lines.push(`| addItem over HTTP, ${connections} connection${connections > 1 ? 's' : ''} | ${formatRate(o)} mutations/s | ${formatRate(p)} mutations/s | ${(o / p).toFixed(2)}x |`);
    console.log(lines.at(-1));
  }
  await ours.stop();
  await plain.stop();
  await server.close();
  return ['| scenario | ours | plain Yoga + pg | ours / plain |', '|---|---|---|---|', ...lines];
}
