import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { runLoad, startLoadGenerator, type LoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median, optionValue } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { appendOrders, diskUse, firstMessageMs, residentMb, waitUntilReady, type DiskUse } from './lib/scaleProbes.js';
import { waitForProjections } from './lib/seedShop.js';
import { authHeaders, BUSY_MACHINE, createOrders, staffToken, startOurServer } from './lib/servers.js';
import { buildSqlShop, EVENTS_PER_ORDER, type SqlShop } from './lib/sqlShop.js';
import { PROJECTIONS } from '../src/features.js';

const SMALL_EVENTS = 10_000;
const CATCH_UP_EVENTS = 100_000;
const CONNECTIONS = 8;
const PAGE = '{ edges { node { id status totalCents customerName } } pageInfo { hasNextPage endCursor } }';
const COUNTED = '{ totalCount edges { node { id status totalCents customerName } } }';

interface Figures {
  shop: SqlShop;
  disk: DiskUse;
  readyMs: number;
  memoryIdleMb: number;
  memoryAfterMb: number;
  /** p50 latency (ms) and rate (/s) of each measured request kind, by name. */
  requests: Map<string, { p50: number; rate: number }>;
  firstMessageMs: number;
  catchUpPerSecond: number;
}

/**
 * The same shop at 10,000 events and at `--events` (10,000,000 by default), written by SQL
 * (bench/lib/sqlShop.ts), measured one after the other on one PostgreSQL: start-up to `/ready`,
 * memory, request latencies under load (autocannon, 8 connections; server pinned to core 0, load
 * generator to core 1), a subscription's first message, projection catch-up of 100,000 events
 * appended while the server was down, and bytes on disk per event.
 */
export async function runScaleBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const largeEvents = Number(optionValue(process.argv.slice(2), 'events') ?? 10_000_000);
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  try {
    const sizes: [string, number][] = [
      ['small', SMALL_EVENTS],
      ['large', largeEvents],
    ];
    const figures: Figures[] = [];
    for (const [name, events] of sizes) {
      const url = await createMigratedDatabase(server, `bench_scale_${name}`);
      const started = performance.now();
      const shop = await buildSqlShop(url, {
        orders: Math.round(events / EVENTS_PER_ORDER),
        onProgress: (step, ms) => console.log(`${name}: ${step} ${(ms / 1000).toFixed(1)} s`),
      });
      console.log(
        `${name}: ${shop.events} events, ${shop.orders} orders written in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      figures.push(await measure(url, shop, load, token, runs, durationMs));
      // The large database is gigabytes: dropped once measured (the small one too, for symmetry).
      await server.dropDatabase(`bench_scale_${name}`);
    }
    return report(figures[0]!, figures[1]!);
  } finally {
    await load.stop();
    await server.close();
  }
}

async function measure(url: string, shop: SqlShop, load: LoadGenerator, token: string, runs: number, durationMs: number): Promise<Figures> {
  const options = { cpu: 0, env: BUSY_MACHINE };
  // A first start warms the database's cache as a long-running server's would be; the second,
  // after a restart, is the one measured.
  let ours: BenchProcess = await startOurServer(url, options);
  await waitUntilReady(ours.url);
  await ours.stop();
  let started = performance.now();
  ours = await startOurServer(url, options);
  const readyMs = (await waitUntilReady(ours.url)) - started;
  const memoryIdleMb = residentMb(ours.pid);
  const requests = new Map<string, { p50: number; rate: number }>();
  const pick = (count: number, from: number) => Array.from({ length: count }, (_, i) => (from + i * 7_919) % shop.orders);
  const query = (text: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query: text, variables });
  const day = { from: new Date(shop.end.getTime() - 86_400_000).toISOString(), to: shop.end.toISOString() };
  const kinds: [string, string[]][] = [
    [
      'order(id), 1,000 orders cycled',
      pick(1_000, 1).map((n) => query(`{ order(id: "${shop.orderId(n)}") { id status totalCents items { sku quantity } } }`)),
    ],
    ['orders(first: 20, status: PAID)', [query(`{ orders(first: 20, status: PAID) ${PAGE} }`)]],
    ['orders(first: 20, status: PAID) with totalCount', [query(`{ orders(first: 20, status: PAID) ${COUNTED} }`)]],
    [
      "a customer's orders (first: 20)",
      pick(200, 3).map((n) => query(`{ orders(first: 20, customerId: "${shop.customerOf(n)}") ${PAGE} }`)),
    ],
    [
      'searchOrders, a common surname',
      [query(`query($q: String!) { searchOrders(query: $q, first: 20) ${PAGE} }`, { q: shop.commonName })],
    ],
    [
      'searchOrders, a common surname, with totalCount',
      [query(`query($q: String!) { searchOrders(query: $q, first: 20) ${COUNTED} }`, { q: shop.commonName })],
    ],
    ['searchOrders, a rare surname', [query(`query($q: String!) { searchOrders(query: $q, first: 20) ${PAGE} }`, { q: shop.rareName })]],
    [
      'salesStats, the last day by HOUR',
      [
        query(
          `query($from: DateTime!, $to: DateTime!) { salesStats(from: $from, to: $to, bucket: HOUR) { start ordersPaid revenueCents } }`,
          day,
        ),
      ],
    ],
    ['order.history', pick(500, 5).map((n) => query(`{ orderHistory(orderId: "${shop.orderId(n)}") { type position } }`))],
  ];
  const orderIds = Array.from({ length: 64 }, (_, i) => `scale-additem-${i}`);
  await createOrders(ours.url, token, shop.customerOf(0), orderIds);
  const createBodies = Array.from({ length: 50_000 }, (_, i) =>
    query(`mutation { createOrder(input: {customerId: "${shop.customerOf(i)}", orderId: "scale-new-${i}"}) { __typename } }`),
  );
  kinds.push(
    [
      'addItem (64 draft orders)',
      orderIds.map((o) => query(`mutation { addItem(input: {orderId: "${o}", sku: "${shop.sku}", quantity: 1}) { __typename } }`)),
    ],
    ['createOrder (new ids)', createBodies],
  );
  for (const [name, bodies] of kinds) {
    const target = { targets: [{ url: ours.url, bodies }], headers: authHeaders(token), connections: CONNECTIONS };
    await runLoad(load, { ...target, durationMs: 1_000 });
    const p50: number[] = [];
    const rates: number[] = [];
    for (let run = 0; run < runs; run++) {
      const r = await runLoad(load, { ...target, durationMs });
      p50.push(r.latencyP50Ms);
      rates.push(r.ok / r.seconds);
    }
    requests.set(name, { p50: median(p50), rate: median(rates) });
    console.log(`${shop.events} events: ${name}: p50 ${median(p50).toFixed(1)} ms, ${formatRate(median(rates))}/s`);
  }
  const firstMessage = await firstMessageMs(ours.url, token, pick(20, 11).map(shop.orderId));
  const memoryAfterMb = residentMb(ours.pid);
  await ours.stop();

  // Catch-up: events appended while the server was down, then the time until every projection has them.
  await appendOrders(url, CATCH_UP_EVENTS, shop.customerOf(1), shop.sku, 'scale-catch-up');
  started = performance.now();
  ours = await startOurServer(url, options);
  await waitForProjections(
    url,
    PROJECTIONS.map((p) => p.name),
  );
  const catchUpMs = performance.now() - started;
  await ours.stop();
  const disk = await diskUse(url);
  return {
    shop,
    disk,
    readyMs,
    memoryIdleMb,
    memoryAfterMb,
    requests,
    firstMessageMs: firstMessage,
    catchUpPerSecond: CATCH_UP_EVENTS / (catchUpMs / 1000),
  };
}

function report(small: Figures, large: Figures): string[] {
  const n = (x: number) => x.toLocaleString('en');
  const row = (name: string, s: number, l: number, unit: string, digits = 1, goal = '') =>
    `| ${name} | ${s.toFixed(digits)} ${unit} | ${l.toFixed(digits)} ${unit} | ${(l / s).toFixed(2)}x | ${goal} |`;
  const perEvent = (d: DiskUse, key: keyof DiskUse) => d[key] / d.events;
  const lines = [
    `Small: ${n(small.shop.events)} events (${n(small.shop.orders)} orders); large: ${n(large.shop.events)} events (${n(large.shop.orders)} orders, ${n(large.shop.customers)} customers, ${n(large.shop.products)} products). Latencies are p50 under load (${CONNECTIONS} connections).`,
    '',
    '| measure | small | large | large / small | goal |',
    '|---|---|---|---|---|',
    ...[...small.requests.keys()].map((k) => row(k, small.requests.get(k)!.p50, large.requests.get(k)!.p50, 'ms', 1, '1.2x')),
    ...[...small.requests.keys()]
      .filter((k) => k.startsWith('addItem') || k.startsWith('createOrder'))
      .map((k) => row(`${k}: throughput`, small.requests.get(k)!.rate, large.requests.get(k)!.rate, '/s', 0)),
    row("a new subscription's first message (median of 20)", small.firstMessageMs, large.firstMessageMs, 'ms', 1, '1.2x'),
    row('start-up to /ready after a restart', small.readyMs / 1000, large.readyMs / 1000, 's', 2, '< 5 s'),
    row('resident memory, idle after start', small.memoryIdleMb, large.memoryIdleMb, 'MB', 0, '1.5x'),
    row('resident memory, after the loads', small.memoryAfterMb, large.memoryAfterMb, 'MB', 0, '1.5x'),
    row(
      `projection catch-up of ${n(CATCH_UP_EVENTS)} events (from a start)`,
      small.catchUpPerSecond,
      large.catchUpPerSecond,
      'events/s',
      0,
      '1.2x',
    ),
    row('bytes per event: log (heap + TOAST)', perEvent(small.disk, 'log'), perEvent(large.disk, 'log'), 'B', 0),
    row('bytes per event: log indexes', perEvent(small.disk, 'logIndexes'), perEvent(large.disk, 'logIndexes'), 'B', 0),
    row('bytes per event: read models', perEvent(small.disk, 'readModels'), perEvent(large.disk, 'readModels'), 'B', 0),
    row('bytes per event: read model indexes', perEvent(small.disk, 'readModelIndexes'), perEvent(large.disk, 'readModelIndexes'), 'B', 0),
  ];
  lines.forEach((l) => console.log(l));
  return lines;
}
