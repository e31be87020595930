import pg from 'pg';
import { PROJECTIONS } from '../src/features.js';
import type { ScratchServer } from '../src/db/scratchServer.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchPostmasters, coresUsed } from './lib/cpu.js';
import { runLoad, startLoadGenerator, type LoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { seedShop, waitForProjections, type SeededShop } from './lib/seedShop.js';
import { addItemBodies, authHeaders, BUSY_MACHINE, createOrders, post, staffToken, startOurServer } from './lib/servers.js';

const ORDERS = Number(process.env.BENCH_READMODEL_ORDERS ?? 100_000);
const CONNECTIONS = 16;
const DATABASE = 'bench_readmodels';
const ALL = PROJECTIONS.map((p) => p.name);
/** The read models added this round: the cost of each on the write path is measured by leaving it out. */
const NEWER = ['search', 'sales', 'paymentDeadlines'];
const ORDER = '{ id status totalCents itemCount customerName items { sku quantity unitPriceCents } }';
const SEARCH = '{ totalCount edges { node { id status totalCents customerName } } pageInfo { hasNextPage endCursor } }';
const STATS = '{ start ordersCreated ordersSubmitted ordersPaid ordersCancelled revenueCents }';

interface QueryKind {
  name: string;
  bodies: string[];
  /** Asked of the second server, whose search cache is off (every search ranks its matches in PostgreSQL). */
  uncached?: boolean;
  /** Checks one answer (a sample of each kind is asked once before the load). */
  check(data: Record<string, any>): void;
}

function queryKinds(shop: SeededShop): QueryKind[] {
  const now = Date.now();
  const stats = (hours: number, bucket: string) =>
    JSON.stringify({
      query: `query($from: DateTime!, $to: DateTime!) { salesStats(from: $from, to: $to, bucket: ${bucket}) ${STATS} }`,
      variables: { from: new Date(now - hours * 3_600_000).toISOString(), to: new Date(now).toISOString() },
    });
  const searches = (term: (n: number) => string) =>
    Array.from({ length: 50 }, (_, n) =>
      JSON.stringify({ query: `query($q: String!) { searchOrders(query: $q, first: 20) ${SEARCH} }`, variables: { q: term(n) } }),
    );
  const found = (data: Record<string, any>) => {
    if (!(data.searchOrders.totalCount > 0 && data.searchOrders.edges.length > 0))
      throw new Error(`search found nothing: ${JSON.stringify(data)}`);
  };
  const buckets = (min: number) => (data: Record<string, any>) => {
    const rows = data.salesStats as { ordersCreated: number }[];
    if (rows.length < min || !rows.some((r) => r.ordersCreated > 0))
      throw new Error(`salesStats: ${rows.length} buckets, none with orders`);
  };
  return [
    {
      name: 'order(id), 1,000 orders cycled (the in-memory order cache, as shipped)',
      bodies: Array.from({ length: 1_000 }, (_, n) =>
        JSON.stringify({ query: `{ order(id: "${shop.orderId((n * 97) % shop.orders)}") ${ORDER} }` }),
      ),
      check: (data) => {
        if (!data.order?.customerName) throw new Error(`order: ${JSON.stringify(data)}`);
      },
    },
    {
      name: `searchOrders, a surname (~${formatRate(shop.orders / 100)} matches), first: 20, totalCount`,
      bodies: searches(shop.surname),
      check: found,
    },
    {
      name: `searchOrders, a full name (~${Math.max(1, Math.round(shop.orders / 2_000))} matches), first: 20, totalCount`,
      bodies: searches(shop.fullName),
      check: found,
    },
    // The cache answers a search asked again while the index stands still; these are what a search
    // never asked before costs (the same 50 terms, SEARCH_CACHE_ENTRIES=0 on a second server).
    {
      name: `searchOrders, a surname, SEARCH_CACHE_ENTRIES=0 (each search ranked in PostgreSQL)`,
      bodies: searches(shop.surname),
      check: found,
      uncached: true,
    },
    {
      name: `searchOrders, a full name, SEARCH_CACHE_ENTRIES=0`,
      bodies: searches(shop.fullName),
      check: found,
      uncached: true,
    },
    { name: 'salesStats, last day by HOUR (25 buckets)', bodies: [stats(24, 'HOUR')], check: buckets(24) },
    { name: 'salesStats, last hour by MINUTE (61 buckets)', bodies: [stats(1, 'MINUTE')], check: buckets(60) },
  ];
}

/** Events appended after `after` of type ItemAdded (the mutations that succeeded). */
async function itemsAddedSince(url: string, after: bigint): Promise<{ added: number; head: bigint }> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<{ added: string; head: string }>(
      `SELECT count(*) FILTER (WHERE type = 'ItemAdded') AS added, coalesce(max(position), $1) AS head FROM events WHERE position > $1`,
      [after.toString()],
    );
    return { added: Number(rows[0]!.added), head: BigInt(rows[0]!.head) };
  } finally {
    await client.end();
  }
}

/**
 * Read models at 100,000 orders (20,000 customers, 1,000 products, a day of sales; seeded with
 * the event store's append, read models built by the projections catching up from position 0):
 * `searchOrders` and `salesStats` queries/s next to `order(id)` on the same server in the same
 * run (autocannon, 16 connections; server pinned to core 0, load generator to core 1). Then the
 * cost of each newer projection on `addItem`: a copy of the caught-up database each for a process
 * running every projection and for processes started with `PROJECTIONS` leaving out search,
 * sales, payment deadlines or all three (runs interleaved, one server up at a time; each
 * variant's own projections caught up before each of its runs).
 */
export async function runReadModelsBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const processes = new Set<BenchProcess>();
  const start = async (url: string, projections?: readonly string[], env: Record<string, string> = {}) => {
    const options = { cpu: 0, env: { ...BUSY_MACHINE, ...(projections ? { PROJECTIONS: projections.join(',') } : {}), ...env } };
    // On a busy shared machine a start may miss its database heartbeat: one more try before failing.
    const p = await startOurServer(url, options).catch((error: Error) => {
      console.log(`a server did not start (${error.message.split('\n')[1] ?? error.message}); trying once more`);
      return startOurServer(url, options);
    });
    processes.add(p);
    return p;
  };
  const stop = async (p: BenchProcess) => {
    processes.delete(p);
    await p.stop();
  };
  const lines: string[] = [];
  try {
    const url = await createMigratedDatabase(server, DATABASE);
    let started = performance.now();
    const shop = await seedShop(url, ORDERS);
    const seedSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const ours = await start(url);
    await waitForProjections(url, ALL);
    const catchUpSeconds = (performance.now() - started) / 1000;
    const { head } = await itemsAddedSince(url, 0n);
    console.log(
      `seeded ${ORDERS} orders in ${seedSeconds.toFixed(0)} s; every projection caught up with ${head} events in ${catchUpSeconds.toFixed(0)} s`,
    );

    // The second server reads the same caught-up tables and runs no projection (nothing to compete with the first).
    const uncached = await start(url, undefined, { RUN_PROJECTIONS: 'false', SEARCH_CACHE_ENTRIES: '0' });
    const kinds = queryKinds(shop);
    const serverOf = (kind: QueryKind) => (kind.uncached ? uncached : ours);
    for (const kind of kinds)
      kind.check((await post(serverOf(kind).url, token, JSON.parse(kind.bodies[0]!).query, JSON.parse(kind.bodies[0]!).variables)).data);
    // Warm-up (not counted): a fresh process compiles its hot paths under the first load.
    for (const kind of kinds)
      await runLoad(load, {
        targets: [{ url: serverOf(kind).url, bodies: kind.bodies }],
        headers: authHeaders(token),
        connections: CONNECTIONS,
        durationMs: 1_000,
      });
    const measured = kinds.map(() => ({ rates: [] as number[], p50: [] as number[], p99: [] as number[] }));
    for (let run = 0; run < runs; run++) {
      for (const [i, kind] of kinds.entries()) {
        const r = await runLoad(load, {
          targets: [{ url: serverOf(kind).url, bodies: kind.bodies }],
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs,
        });
        measured[i]!.rates.push(r.ok / r.seconds);
        measured[i]!.p50.push(r.latencyP50Ms);
        measured[i]!.p99.push(r.latencyP99Ms);
      }
    }
    await stop(ours);
    await stop(uncached);
    const orderRate = median(measured[0]!.rates);
    lines.push(
      `Seeded ${ORDERS.toLocaleString('en')} orders (${head.toLocaleString('en')} events) in ${seedSeconds.toFixed(0)} s; the ${ALL.length} projections caught up from 0 in ${catchUpSeconds.toFixed(0)} s.`,
      '',
      `| query at ${ORDERS.toLocaleString('en')} orders, ${CONNECTIONS} connections | queries/s | p50 / p99 latency | vs order(id) |`,
      '|---|---|---|---|',
      ...kinds.map((kind, i) => {
        const m = measured[i]!;
        return `| ${kind.name} | ${formatRate(median(m.rates))} | ${median(m.p50).toFixed(0)} / ${median(m.p99).toFixed(0)} ms | ${(median(m.rates) / orderRate).toFixed(2)}x |`;
      }),
    );
    lines.forEach((l) => console.log(l));

    lines.push('', ...(await addItemCost(load, token, server, DATABASE, shop, runs, durationMs, start, stop)));
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await server.close();
  }
  return lines;
}

async function addItemCost(
  load: LoadGenerator,
  token: string,
  server: ScratchServer,
  database: string,
  shop: SeededShop,
  runs: number,
  durationMs: number,
  start: (url: string, projections?: readonly string[], env?: Record<string, string>) => Promise<BenchProcess>,
  stop: (p: BenchProcess) => Promise<void>,
): Promise<string[]> {
  const variants = [
    { name: 'every projection', projections: undefined as string[] | undefined },
    ...NEWER.map((left) => ({ name: `without ${left}`, projections: ALL.filter((n) => n !== left) })),
    { name: `without ${NEWER.join(', ')}`, projections: ALL.filter((n) => !NEWER.includes(n)) },
  ].map((v, i) => ({
    ...v,
    // A copy of the caught-up database each (a file copy: seconds), so every variant starts from
    // the same 100,000 orders and none has to catch up what another left behind.
    database: `${database}_${i}`,
    url: '',
    process: undefined as unknown as BenchProcess,
    rates: [] as number[],
    serverCores: [] as number[],
    postgresCores: [] as number[],
  }));
  for (const variant of variants) variant.url = await server.createDatabase(variant.database, { template: database });
  for (let run = 0; run < runs; run++) {
    for (const [v, variant] of variants.entries()) {
      // One server up at a time: five idle servers at 100,000 orders pinned to one core of a busy
      // two-core machine starved each other (a quick run hung with all five up).
      variant.process = await start(variant.url, variant.projections);
      try {
        const orderIds = Array.from({ length: 64 }, (_, i) => `additem-${run}-${v}-${i}`);
        await createOrders(variant.process.url, token, 'customer-0', orderIds);
        // What it runs has caught up (the projections it leaves out stay behind).
        await waitForProjections(variant.url, variant.projections ?? ALL);
        const { head: before } = await itemsAddedSince(variant.url, 0n);
        const { result, cores } = await coresUsed([[variant.process.pid], benchPostmasters()], () =>
          runLoad(load, {
            targets: [{ url: variant.process.url, bodies: addItemBodies(orderIds, shop.sku).ours }],
            headers: authHeaders(token),
            connections: CONNECTIONS,
            durationMs,
          }),
        );
        variant.rates.push((await itemsAddedSince(variant.url, before)).added / result.seconds);
        variant.serverCores.push(cores[0]!);
        variant.postgresCores.push(cores[1]!);
      } finally {
        await stop(variant.process);
      }
    }
  }
  const all = median(variants[0]!.rates);
  const perMutation = (cores: number[], rates: number[]) => ((1000 * median(cores)) / median(rates)).toFixed(2);
  const lines = [
    `| addItem at ${shop.orders.toLocaleString('en')} orders, ${CONNECTIONS} connections, projections in process | mutations/s | vs every projection | CPU ms per mutation: server, PostgreSQL |`,
    '|---|---|---|---|',
    ...variants.map(
      (v) =>
        `| ${v.name} | ${formatRate(median(v.rates))} | ${(median(v.rates) / all).toFixed(2)}x | ${perMutation(v.serverCores, v.rates)}, ${perMutation(v.postgresCores, v.rates)} |`,
    ),
  ];
  lines.forEach((l) => console.log(l));
  return lines;
}
