// `PG_URL=postgres://user@host:port npx tsx bench/profileAddItem.ts [ours|serving|crud] [seconds]`:
// one addItem load (16 connections) on our server as shipped (`serving`: RUN_PROJECTIONS=false) or
// on the CRUD peer, against a server whose pg_stat_statements is loaded
// (`shared_preload_libraries=pg_stat_statements`, the extension created in `postgres`): prints the
// rate, the server's CPU per mutation and the statements the load ran (calls, total and mean ms).
// With BENCH_PROFILE_DIR the server writes a CPU profile too. EXTRA_ENV='{"NAME":"value"}' sets
// settings of our server.
import pg from 'pg';
import { applyMigrations } from '../src/db/migrations/migrate.js';
import { startLoadGenerator, runLoad } from './lib/load.js';
import { addItemBodies, authHeaders, createOrders, seedCatalog, staffToken, startOurServer, startCrudServer } from './lib/servers.js';
import { coresUsed } from './lib/cpu.js';

const base = process.env.PG_URL;
if (!base) throw new Error('PG_URL (a server with pg_stat_statements, without a database name) is required');
const which = process.argv[2] ?? 'ours';
const seconds = Number(process.argv[3] ?? 8);
const db = `prof_${which}_${Date.now()}`;
const admin = new pg.Client(`${base}/postgres`);
await admin.connect();
await admin.query(`CREATE DATABASE ${db}`);
const url = `${base}/${db}`;
const token = await staffToken();
const orderIds = Array.from({ length: 64 }, (_, i) => `p-${i}`);
let server;
let bodies: string[];
if (which === 'crud') {
  server = await startCrudServer(url, 0);
  const c = new pg.Client(url);
  await c.connect();
  await c.query(`INSERT INTO crud_products (sku, name, price_cents) VALUES ('BENCH-1', 'Bench', 100)`);
  await c.query(`INSERT INTO crud_orders (order_id, customer_id, status) SELECT unnest($1::text[]), 'bench', 'DRAFT'`, [orderIds]);
  await c.end();
  bodies = addItemBodies(orderIds, 'BENCH-1').plain;
} else {
  await applyMigrations(url);
  server = await startOurServer(url, { runProjections: which !== 'serving', cpu: 0, env: JSON.parse(process.env.EXTRA_ENV ?? '{}') });
  const customer = await seedCatalog(server.url, token, 'BENCH-1');
  await createOrders(server.url, token, customer, orderIds);
  bodies = addItemBodies(orderIds, 'BENCH-1').ours;
  if (process.env.READ_ORDERS) {
    // The same server read instead: order(id) as the query and readmodels scenarios ask it.
    bodies = orderIds.map((id) =>
      JSON.stringify({
        query: `{ order(id: "${id}") { id status totalCents itemCount customerName items { sku quantity unitPriceCents } } }`,
      }),
    );
  }
}
const load = await startLoadGenerator(1);
// warm up
await runLoad(load, { targets: [{ url: server.url, bodies }], headers: authHeaders(token), connections: 16, durationMs: 1000 });
await admin.query('SELECT pg_stat_statements_reset()');
const { result, cores } = await coresUsed([[server.pid]], () =>
  runLoad(load, { targets: [{ url: server.url, bodies }], headers: authHeaders(token), connections: 16, durationMs: seconds * 1000 }),
);
const c = new pg.Client(url);
await c.connect();
const n =
  which === 'crud'
    ? Number((await c.query(`SELECT count(*) n FROM crud_history`)).rows[0].n)
    : Number((await c.query(`SELECT count(*) n FROM events WHERE type='ItemAdded'`)).rows[0].n);
await c.end();
const stats = await admin.query(
  `SELECT calls, round(total_exec_time::numeric,1) ms, round((total_exec_time/calls)::numeric,3) per, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) q FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY total_exec_time DESC LIMIT 30`,
  [db],
);
console.log(
  `${which}: ok ${result.ok} in ${result.seconds.toFixed(1)} s = ${(result.ok / result.seconds).toFixed(0)}/s, p50 ${result.latencyP50Ms} p99 ${result.latencyP99Ms}; server CPU ms/req ${((1000 * cores[0]!) / (result.ok / result.seconds)).toFixed(2)}; ItemAdded total ${n}`,
);
console.table(stats.rows);
await load.stop();
await server.stop();
await admin.end();
process.exit(0);
