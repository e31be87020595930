import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { runLoad, startLoadGenerator, type LoadGenerator } from './lib/load.js';
import { benchOptions, median, optionValue } from './lib/measure.js';
import { draftOrders, requestKinds, type Size as SizeOf } from './lib/scaleRequests.js';
import {
  appendOrders,
  catchUpTimes,
  cpuSeconds,
  diskUse,
  firstMessageMs,
  residentMb,
  waitUntilReady,
  type DiskUse,
} from './lib/scaleProbes.js';
import { authHeaders, BUSY_MACHINE, staffToken, startOurServer } from './lib/servers.js';
import { buildSqlShop, EVENTS_PER_ORDER, type SqlShop } from './lib/sqlShop.js';
import { PROJECTIONS } from '../src/features.js';

const SMALL_EVENTS = 10_000;
const CATCH_UP_EVENTS = 100_000;
const CONNECTIONS = 8;

/** One size of the shop and what was measured on it. */
type Size = SizeOf<Figures>;

interface Figures {
  shop: SqlShop;
  disk: DiskUse;
  readyMs: number;
  /** CPU seconds the server used until ready. */
  readyCpuSeconds: number;
  memoryIdleMb: number;
  memoryAfterMb: number;
  /** Mean and p50 latency (ms) and rate (/s) of each measured request kind, by name. */
  requests: Map<string, { mean: number; p50: number; rate: number }>;
  firstMessageMs: number;
  catchUpPerSecond: number;
  /** A new version of the search read model built while the server serves `order(id)`. */
  searchBuild: SearchBuild;
}

/**
 * The same shop at 10,000 events and at `--events` (10,000,000 by default), written by SQL
 * (bench/lib/sqlShop.ts) into two databases of one PostgreSQL, then measured side by side so that
 * both see the same machine: start-ups to `/ready` alternate, and with both servers up (pinned to
 * core 0, the load generator to core 1) each request kind is loaded on the small one, then the
 * large one, `runs` times (autocannon, 8 connections; mean and p50 latency). Then a subscription's first
 * message, memory, projection catch-up of 100,000 events appended while the servers were down,
 * and bytes on disk per event.
 */
export async function runScaleBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const largeEvents = Number(optionValue(process.argv.slice(2), 'events') ?? 10_000_000);
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const sizes: Size[] = [];
  try {
    // Start-up is measured as deployed: tsx's compiling of src/ at start would be most of it.
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { stdio: 'inherit' });
    for (const [name, events] of [
      ['small', SMALL_EVENTS],
      ['large', largeEvents],
    ] as const) {
      const url = await createMigratedDatabase(server, `bench_scale_${name}`);
      const started = performance.now();
      const shop = await buildSqlShop(url, {
        orders: Math.round(events / EVENTS_PER_ORDER),
        onProgress: (step, ms) => console.log(`${name}: ${step} ${(ms / 1000).toFixed(1)} s`),
      });
      console.log(
        `${name}: ${shop.events} events, ${shop.orders} orders written in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      sizes.push({ name, url, shop, figures: emptyFigures(shop, await diskUse(url)) });
    }
    await measure(sizes, load, token, runs, durationMs);
    return report(sizes[0]!.figures, sizes[1]!.figures);
  } finally {
    for (const size of sizes) await size.server?.stop();
    await load.stop();
    // The large database is gigabytes: nothing is kept.
    for (const size of sizes) await server.dropDatabase(`bench_scale_${size.name}`).catch(() => {});
    await server.close();
  }
}

function emptyFigures(shop: SqlShop, disk: DiskUse): Figures {
  return {
    shop,
    disk,
    readyMs: 0,
    readyCpuSeconds: 0,
    memoryIdleMb: 0,
    memoryAfterMb: 0,
    requests: new Map(),
    firstMessageMs: 0,
    catchUpPerSecond: 0,
    searchBuild: { seconds: 0, orderMsDuring: 0, orderMsAfter: 0 },
  };
}

/** The server as the container image runs it: `node dist/main.js` (built at the scenario's start). */
const OPTIONS = { cpu: 0, env: BUSY_MACHINE, built: true };

async function measure(sizes: Size[], load: LoadGenerator, token: string, runs: number, durationMs: number): Promise<void> {
  // A first start of each warms the database's cache as a long-running server's would be; the
  // restarts after it are measured, alternating between the sizes.
  const ready: number[][] = sizes.map(() => []);
  const readyCpu: number[][] = sizes.map(() => []);
  for (let round = 0; round < 3; round++) {
    for (const [i, size] of sizes.entries()) {
      const started = performance.now();
      const ours = await startOurServer(size.url, OPTIONS);
      const listening = performance.now() - started;
      const at = await waitUntilReady(ours.url);
      const cpu = cpuSeconds(ours.pid);
      if (round > 0) ready[i]!.push(at - started);
      if (round > 0) readyCpu[i]!.push(cpu);
      console.log(
        `${size.name}: start ${round}: listening after ${(listening / 1000).toFixed(2)} s, ready after ${((at - started) / 1000).toFixed(2)} s, ${cpu.toFixed(2)} s of CPU`,
      );
      await ours.stop();
    }
  }
  for (const [i, size] of sizes.entries()) {
    size.figures.readyMs = median(ready[i]!);
    size.figures.readyCpuSeconds = median(readyCpu[i]!);
    size.server = await startOurServer(size.url, OPTIONS);
    await waitUntilReady(size.server.url);
    size.addItemOrders = await draftOrders(size, token);
  }
  await new Promise((r) => setTimeout(r, 2_000));
  for (const size of sizes) size.figures.memoryIdleMb = residentMb(size.server!.pid);
  for (const [name] of requestKinds(sizes[0]!.shop, [])) {
    const samples = sizes.map(() => ({ mean: [] as number[], p50: [] as number[], rates: [] as number[] }));
    const target = (size: Size) => ({
      targets: [{ url: size.server!.url, bodies: requestKinds(size.shop, size.addItemOrders!).find(([n]) => n === name)![1] }],
      headers: authHeaders(token),
      connections: CONNECTIONS,
    });
    for (const size of sizes) await runLoad(load, { ...target(size), durationMs: 1_000 });
    for (let run = 0; run < runs; run++) {
      for (const [i, size] of sizes.entries()) {
        const r = await runLoad(load, { ...target(size), durationMs });
        samples[i]!.mean.push(r.latencyMeanMs);
        samples[i]!.p50.push(r.latencyP50Ms);
        samples[i]!.rates.push(r.ok / r.seconds);
      }
    }
    for (const [i, size] of sizes.entries()) {
      size.figures.requests.set(name, { mean: median(samples[i]!.mean), p50: median(samples[i]!.p50), rate: median(samples[i]!.rates) });
    }
    console.log(
      `${name}: mean ${sizes.map((s) => s.figures.requests.get(name)!.mean.toFixed(2)).join(' / ')} ms, p50 ${sizes.map((s) => s.figures.requests.get(name)!.p50.toFixed(1)).join(' / ')} ms`,
    );
  }
  const firstMessages: number[][] = sizes.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (const [i, size] of sizes.entries()) {
      const ids = Array.from({ length: 4 }, (_, k) => size.shop.orderId(((round * 4 + k) * 7_919) % size.shop.orders));
      firstMessages[i]!.push(await firstMessageMs(size.server!.url, token, ids));
    }
  }
  for (const [i, size] of sizes.entries()) {
    size.figures.firstMessageMs = median(firstMessages[i]!);
    size.figures.memoryAfterMb = residentMb(size.server!.pid);
    await size.server!.stop();
    size.server = undefined;
  }
  // Catch-up: events appended while the server was down, then the time from its start until
  // every projection has them.
  for (const size of sizes) {
    const head = await appendOrders(size.url, CATCH_UP_EVENTS, size.shop.customerOf(1), size.shop.sku, 'scale-catch-up');
    const started = performance.now();
    size.server = await startOurServer(size.url, OPTIONS);
    const listening = performance.now() - started;
    const times = await catchUpTimes(
      size.url,
      PROJECTIONS.map((p) => p.name),
      head,
    );
    const all = performance.now() - started;
    size.figures.catchUpPerSecond = CATCH_UP_EVENTS / (all / 1000);
    console.log(
      `${size.name}: catch-up ${(all / 1000).toFixed(1)} s from the start (listening after ${(listening / 1000).toFixed(1)} s); each projection at the head after ${[...times].map(([n, ms]) => `${n} ${((listening + ms) / 1000).toFixed(1)} s`).join(', ')}`,
    );
    await size.server.stop();
    size.server = undefined;
  }
  for (const size of sizes) {
    size.figures.searchBuild = await searchBuild(size, load, token);
    console.log(`${size.name}: search built anew in ${size.figures.searchBuild.seconds.toFixed(1)} s`);
  }
}

/**
 * A new version of a read model on a big log builds beside the tables that serve (the runner
 * rebuilds a projection whose stored version is older than the code's): the search checkpoint is
 * set one version back, the server started, and `order(id)` loaded in slices of 2 s until the
 * rebuild has swapped in; then once more after it. Seconds from the start to the swap.
 */
async function searchBuild(size: Size, load: LoadGenerator, token: string): Promise<SearchBuild> {
  const client = new pg.Client(size.url);
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>(
      "UPDATE projection_checkpoints SET version = version - 1 WHERE name = 'search' RETURNING version + 1 AS version",
    );
    const version = rows[0]!.version;
    const started = performance.now();
    size.server = await startOurServer(size.url, OPTIONS);
    await waitUntilReady(size.server.url);
    const bodies = requestKinds(size.shop, [])[0]![1];
    const slice = () =>
      runLoad(load, {
        targets: [{ url: size.server!.url, bodies }],
        headers: authHeaders(token),
        connections: CONNECTIONS,
        durationMs: 2_000,
      });
    const built = async () =>
      (
        await client.query<{ done: boolean }>(
          "SELECT status = 'RUNNING' AND version = $1 AS done FROM projection_checkpoints WHERE name = 'search'",
          [version],
        )
      ).rows[0]!.done;
    // Polled apart from the load, so the swap is timed to a quarter of a second, not to a slice.
    let seconds: number | undefined;
    const swapped = (async () => {
      try {
        while (!(await built())) {
          if (performance.now() - started > 3_600_000) throw new Error(`${size.name}: search not rebuilt within an hour`);
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        // Also on a failure, so the load below stops.
        seconds = (performance.now() - started) / 1000;
      }
    })();
    const during: number[] = [];
    while (seconds === undefined) during.push((await slice()).latencyMeanMs);
    await swapped;
    const after = (await slice()).latencyMeanMs;
    return { seconds: seconds!, orderMsDuring: during.length > 0 ? median(during) : Number.NaN, orderMsAfter: after };
  } finally {
    await size.server?.stop();
    size.server = undefined;
    await client.end();
  }
}

interface SearchBuild {
  seconds: number;
  orderMsDuring: number;
  orderMsAfter: number;
}

function report(small: Figures, large: Figures): string[] {
  const n = (x: number) => x.toLocaleString('en');
  const row = (name: string, s: number, l: number, unit: string, digits = 1, goal = '') =>
    `| ${name} | ${s.toFixed(digits)} ${unit} | ${l.toFixed(digits)} ${unit} | ${(l / s).toFixed(2)}x | ${goal} |`;
  const perEvent = (d: DiskUse, key: keyof DiskUse) => d[key] / d.events;
  const lines = [
    `Small: ${n(small.shop.events)} events (${n(small.shop.orders)} orders); large: ${n(large.shop.events)} events (${n(large.shop.orders)} orders, ${n(large.shop.customers)} customers, ${n(large.shop.products)} products). Latencies are the mean of each run under load (${CONNECTIONS} connections; autocannon's p50 is in whole milliseconds, and most of these take less than a few), the median of the runs.`,
    '',
    '| measure | small | large | large / small | goal |',
    '|---|---|---|---|---|',
    ...[...small.requests.keys()].map((k) => row(k, small.requests.get(k)!.mean, large.requests.get(k)!.mean, 'ms', 2, '1.2x')),
    ...[...small.requests.keys()]
      .filter((k) => k.startsWith('addItem') || k.startsWith('createOrder'))
      .map((k) => row(`${k}: throughput`, small.requests.get(k)!.rate, large.requests.get(k)!.rate, '/s', 0)),
    row("a new subscription's first message (median of 20)", small.firstMessageMs, large.firstMessageMs, 'ms', 1, '1.2x'),
    row('start-up to /ready after a restart', small.readyMs / 1000, large.readyMs / 1000, 's', 2, '< 5 s'),
    row('CPU used by the server until /ready', small.readyCpuSeconds, large.readyCpuSeconds, 's', 2),
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
    row('search read model built anew while serving (from the start)', small.searchBuild.seconds, large.searchBuild.seconds, 's', 1),
    row('order(id) mean latency while search builds', small.searchBuild.orderMsDuring, large.searchBuild.orderMsDuring, 'ms', 2),
    row('order(id) mean latency after the build', small.searchBuild.orderMsAfter, large.searchBuild.orderMsAfter, 'ms', 2),
  ];
  lines.forEach((l) => console.log(l));
  return lines;
}
