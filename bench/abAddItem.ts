import pg from 'pg';
import { applyMigrations } from '../src/db/migrations/migrate.js';
import { startLoadGenerator, runLoad } from './lib/load.js';
import { addItemBodies, authHeaders, createOrders, seedCatalog, staffToken, startOurServer, startCrudServer } from './lib/servers.js';
import { coresUsed } from './lib/cpu.js';
import { median } from './lib/measure.js';

// `PG_URL=postgres://user@host:port npx tsx bench/abAddItem.ts <rounds> <seconds> '<json env A>' '<json env B>' … [crud]`:
// addItem as shipped (16 connections) on one server per settings variant (and the CRUD peer last),
// interleaved round by round on PG_URL's server, so that a shared machine's load swings hit every
// variant alike; prints each round and the medians. A variant's `BENCH_ROOT` runs another checkout
// (its node_modules and src/generated in place, same migrations) with the rest of its settings. For a change that is not a setting, compare
// whole checkouts with `BENCH_COMPARE_ROOT` and `npm run bench -- mutation` instead.
const base = process.env.PG_URL;
if (!base) throw new Error('PG_URL (a PostgreSQL server, without a database name) is required');
const [roundsArg, secondsArg, ...variants] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);
const seconds = Number(secondsArg ?? 4);
const withCrud = variants.at(-1) === 'crud';
const envs = (withCrud ? variants.slice(0, -1) : variants).map((v) => JSON.parse(v) as Record<string, string>);
const admin = new pg.Client(`${base}/postgres`);
await admin.connect();
const token = await staffToken();
const orderIds = Array.from({ length: 64 }, (_, i) => `p-${i}`);
const targets: { name: string; url: string; pid: number; bodies: string[]; stop(): Promise<void>; rates: number[]; cpu: number[] }[] = [];
const stamp = Date.now();
for (const [i, env] of envs.entries()) {
  const db = `ab_${stamp}_${i}`;
  await admin.query(`CREATE DATABASE ${db}`);
  const url = `${base}/${db}`;
  await applyMigrations(url);
  const { BENCH_ROOT: root, ...settings } = env;
  const server = await startOurServer(url, { cpu: 0, env: settings, root });
  const customer = await seedCatalog(server.url, token, 'BENCH-1');
  await createOrders(server.url, token, customer, orderIds);
  targets.push({ name: JSON.stringify(env), ...server, bodies: addItemBodies(orderIds, 'BENCH-1').ours, rates: [], cpu: [] });
}
if (withCrud) {
  const db = `ab_${stamp}_crud`;
  await admin.query(`CREATE DATABASE ${db}`);
  const url = `${base}/${db}`;
  const server = await startCrudServer(url, 0);
  const c = new pg.Client(url);
  await c.connect();
  await c.query(`INSERT INTO crud_products (sku, name, price_cents) VALUES ('BENCH-1', 'Bench', 100)`);
  await c.query(`INSERT INTO crud_orders (order_id, customer_id, status) SELECT unnest($1::text[]), 'bench', 'DRAFT'`, [orderIds]);
  await c.end();
  targets.push({ name: 'crud', ...server, bodies: addItemBodies(orderIds, 'BENCH-1').plain, rates: [], cpu: [] });
}
const load = await startLoadGenerator(1);
for (const t of targets)
  await runLoad(load, { targets: [{ url: t.url, bodies: t.bodies }], headers: authHeaders(token), connections: 16, durationMs: 1000 });
for (let r = 0; r < rounds; r++) {
  for (const t of targets) {
    const { result, cores } = await coresUsed([[t.pid]], () =>
      runLoad(load, {
        targets: [{ url: t.url, bodies: t.bodies }],
        headers: authHeaders(token),
        connections: 16,
        durationMs: seconds * 1000,
      }),
    );
    const rate = result.ok / result.seconds;
    t.rates.push(rate);
    t.cpu.push((1000 * cores[0]!) / rate);
    console.log(
      `round ${r} ${t.name}: ${rate.toFixed(0)}/s p50 ${result.latencyP50Ms} ms, server ${((1000 * cores[0]!) / rate).toFixed(2)} ms CPU/req`,
    );
  }
}
for (const t of targets) console.log(`median ${t.name}: ${median(t.rates).toFixed(0)}/s, ${median(t.cpu).toFixed(2)} ms CPU/req`);
await load.stop();
for (const t of targets) await t.stop();
await admin.end();
process.exit(0);
