import pg from 'pg';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchPostmasters, coresUsed } from './lib/cpu.js';
import { startLoadGenerator, runLoad } from './lib/load.js';
import type { BenchProcess } from './lib/processes.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import {
  addItemBodies,
  authHeaders,
  createOrders,
  seedCatalog,
  staffToken,
  startCrudServer,
  startOurServer,
  startPlainServer,
} from './lib/servers.js';

const ORDERS = 64;
const CONNECTIONS = 16;
/** Ahead of the plain server while doing strictly more. */
const GOAL = 1.0;
const SKU = 'BENCH-1';
const ITEMS_ADDED = `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`;
const PLAIN_ITEMS = 'SELECT count(*) AS n FROM plain_items';
const CRUD_ITEMS = `SELECT count(*) AS n FROM crud_history WHERE type = 'ItemAdded'`;
/** Against the CRUD peer, which keeps the same tables in each request's transaction: at least even, 1.5x the aim. */
const CRUD_GOAL = 1.0;
const CRUD_AIM = 1.5;

/** Runs `sql` once on `url`. */
async function execute(url: string, sql: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** One value from a `SELECT count(*) AS n ...`. */
export async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query<{ n: string }>(sql);
  await client.end();
  return Number(rows[0]!.n);
}

/**
 * Mutation end to end over HTTP: `addItem` (autocannon, 16 connections) on our server (auth,
 * validation, load order + product, decide, append), once with the projections running in the same
 * process (the default) and once with RUN_PROJECTIONS=false, vs a plain Yoga server whose resolver
 * does one `pg` insert transaction; and once more with the projections in a second process on the
 * same core (what each part costs). Each server has its own database; servers pinned to core 0,
 * the load generator to core 1. Successful mutations/s, counted in the database afterwards. Ours as
 * shipped is also set against the fair peer (bench/baseline/crudServer.ts): a CRUD server keeping
 * the same tables (order summary, lines, history) in each request's transaction.
 */
export async function runMutationBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const processes: BenchProcess[] = [];
  const started = async (p: Promise<BenchProcess>) => {
    processes.push(await p);
    return processes.at(-1)!;
  };
  const ours = [
    { name: 'projections in process', runProjections: true, database: 'bench_mutation_ours' },
    { name: 'RUN_PROJECTIONS=false', runProjections: false, database: 'bench_mutation_serving' },
    // The same work as in process, split in two processes on the same core, so that each one's CPU
    // says what the request path and the projections cost apart (a profile of one process cannot
    // tell them apart: their callbacks interleave on one event loop).
    { name: 'projections in a second process on the same core', runProjections: false, database: 'bench_mutation_split', split: true },
    // BENCH_COMPARE_ROOT=<another checkout> (its node_modules and src/generated in place): that
    // revision's server too, projections in process, measured in the same runs (before/after).
    ...(process.env.BENCH_COMPARE_ROOT
      ? [
          {
            name: 'projections in process, BENCH_COMPARE_ROOT',
            runProjections: true,
            database: 'bench_mutation_compare',
            root: process.env.BENCH_COMPARE_ROOT,
          },
        ]
      : []),
  ].map((o) => ({
    root: undefined as string | undefined,
    split: false,
    ...o,
    url: '',
    process: undefined as unknown as BenchProcess,
    projectionsProcess: undefined as BenchProcess | undefined,
    customerId: '',
    rates: [] as number[],
    serverCores: [] as number[],
    projectionsCores: [] as number[],
    postgresCores: [] as number[],
  }));
  const plainRates: number[] = [];
  const plainCores: { server: number[]; postgres: number[] } = { server: [], postgres: [] };
  const crudRates: number[] = [];
  const crudCores: { server: number[]; postgres: number[] } = { server: [], postgres: [] };
  try {
    for (const o of ours) {
      o.url = await createMigratedDatabase(server, o.database, o.root);
      o.process = await started(startOurServer(o.url, { runProjections: o.runProjections, cpu: 0, root: o.root }));
      if (o.split) o.projectionsProcess = await started(startOurServer(o.url, { runProjections: true, cpu: 0 }));
      o.customerId = await seedCatalog(o.process.url, token, SKU);
    }
    const plainUrl = await server.createDatabase('bench_mutation_plain');
    const plain = await started(startPlainServer(plainUrl, 0));
    const crudUrl = await server.createDatabase('bench_mutation_crud');
    const crud = await started(startCrudServer(crudUrl, 0));
    await execute(crudUrl, `INSERT INTO crud_products (sku, name, price_cents) VALUES ($1, 'Bench', 100)`, [SKU]);
    for (let run = 0; run < runs; run++) {
      // Fresh orders each run, so no order line nears its 1000-unit bound.
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `bench-${run}-${i}`);
      const bodies = addItemBodies(orderIds, SKU);
      for (const o of ours) {
        await createOrders(o.process.url, token, o.customerId, orderIds);
        const before = await count(o.url, ITEMS_ADDED);
        const projections = o.projectionsProcess ? [o.projectionsProcess.pid] : [];
        const { result, cores } = await coresUsed([[o.process.pid], projections, benchPostmasters()], () =>
          runLoad(load, {
            targets: [{ url: o.process.url, bodies: bodies.ours }],
            headers: authHeaders(token),
            connections: CONNECTIONS,
            durationMs,
          }),
        );
        o.rates.push(((await count(o.url, ITEMS_ADDED)) - before) / result.seconds);
        o.serverCores.push(cores[0]!);
        o.projectionsCores.push(cores[1]!);
        o.postgresCores.push(cores[2]!);
      }
      const before = await count(plainUrl, PLAIN_ITEMS);
      const { result, cores } = await coresUsed([[plain.pid], benchPostmasters()], () =>
        runLoad(load, {
          targets: [{ url: plain.url, bodies: bodies.plain }],
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs,
        }),
      );
      plainRates.push(((await count(plainUrl, PLAIN_ITEMS)) - before) / result.seconds);
      plainCores.server.push(cores[0]!);
      plainCores.postgres.push(cores[1]!);

      await execute(crudUrl, `INSERT INTO crud_orders (order_id, customer_id, status) SELECT unnest($1::text[]), 'bench', 'DRAFT'`, [
        orderIds,
      ]);
      const crudBefore = await count(crudUrl, CRUD_ITEMS);
      const crudRun = await coresUsed([[crud.pid], benchPostmasters()], () =>
        runLoad(load, {
          targets: [{ url: crud.url, bodies: bodies.plain }],
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs,
        }),
      );
      crudRates.push(((await count(crudUrl, CRUD_ITEMS)) - crudBefore) / crudRun.result.seconds);
      crudCores.server.push(crudRun.cores[0]!);
      crudCores.postgres.push(crudRun.cores[1]!);
    }
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await server.close();
  }
  const p = median(plainRates);
  const lines = ours.map((o) => {
    const rate = median(o.rates);
    // CPU per mutation holds up better than throughput when other work shares the machine.
    const perMutation = (cores: number[], rates: number[]) => `${((1000 * median(cores)) / median(rates)).toFixed(2)}`;
    const server = o.projectionsProcess
      ? `requests ${perMutation(o.serverCores, o.rates)} + projections ${perMutation(o.projectionsCores, o.rates)}`
      : perMutation(o.serverCores, o.rates);
    const cores = `server ${server} / ${perMutation(plainCores.server, plainRates)}, PostgreSQL ${perMutation(o.postgresCores, o.rates)} / ${perMutation(plainCores.postgres, plainRates)}`;
    return `| addItem over HTTP, ${CONNECTIONS} connections, ${o.name} | ${formatRate(rate)} mutations/s | ${formatRate(p)} mutations/s | ${(rate / p).toFixed(2)}x | ${rate / p >= GOAL ? 'met' : 'missed'} | ${cores} |`;
  });
  const shipped = ours[0]!;
  const c = median(crudRates);
  const vsCrud = median(shipped.rates) / c;
  const perMutation = (cores: number[], rates: number[]) => `${((1000 * median(cores)) / median(rates)).toFixed(2)}`;
  const crudLine =
    `| addItem over HTTP, ${CONNECTIONS} connections, as shipped vs the CRUD peer | ${formatRate(median(shipped.rates))} mutations/s | ${formatRate(c)} mutations/s | ` +
    `${vsCrud.toFixed(2)}x | ${vsCrud >= CRUD_AIM ? 'aim met' : vsCrud >= CRUD_GOAL ? 'met' : 'missed'} | ` +
    `server ${perMutation(shipped.serverCores, shipped.rates)} / ${perMutation(crudCores.server, crudRates)}, PostgreSQL ${perMutation(shipped.postgresCores, shipped.rates)} / ${perMutation(crudCores.postgres, crudRates)} |`;
  lines.forEach((l) => console.log(l));
  console.log(crudLine);
  return [
    `| scenario | ours | plain Yoga + pg | ours / plain | goal (>= ${GOAL.toFixed(1)}x) | CPU ms per mutation, ours / plain |`,
    '|---|---|---|---|---|---|',
    ...lines,
    '',
    `| scenario | ours | CRUD Yoga + pg (same tables, one transaction per request) | ours / CRUD | goal (>= ${CRUD_GOAL.toFixed(1)}x, aim ${CRUD_AIM.toFixed(1)}x) | CPU ms per mutation, ours / CRUD |`,
    '|---|---|---|---|---|---|',
    crudLine,
  ];
}
