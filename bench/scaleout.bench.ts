import os from 'node:os';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { cpuSeconds, machineCoresBusy } from './lib/cpu.js';
import { limitCpu } from './lib/cpuQuota.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { addItemBodies, authHeaders, createOrders, seedCatalog, staffToken, startOurServer } from './lib/servers.js';
import { count } from './mutation.bench.js';

const ORDERS = 64;
const CONNECTIONS = 16;
const SKU = 'SCALE-1';
const ITEMS_ADDED = `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`;
/** Each server's CPU share in the capped comparison: little enough that two servers still leave PostgreSQL and the load generator room. */
const CAPPED_CORES = 0.3;

/**
 * Scale-out: the `addItem` load (16 connections in all) on one server process vs spread evenly
 * over two server processes on one PostgreSQL (each its own database; in the pair, the projections
 * run in whichever process holds their lock, as in production). Measured twice per run:
 *
 * - as is: nothing pinned or limited (pinning two servers to the two cores would leave the load
 *   generator and PostgreSQL to squeeze onto busy ones). On a 2-core machine one server process
 *   already keeps both cores busy, so this shows the machine's limit, not the design's.
 * - capped: each server process held to CAPPED_CORES of a core (a cgroup CPU quota), as if each
 *   ran on a small machine of its own, with PostgreSQL and the load generator on the rest. The
 *   servers are then the bottleneck, and the ratio shows how far a second one adds throughput
 *   before the shared database does not. Skipped where cgroups cannot be written (not root).
 *
 * BENCH_COMPARE_ROOT=<another checkout> (its node_modules and src/generated in place) runs that
 * checkout's servers too, on databases migrated by its own migrations, in the same runs (before and
 * after side by side). Each measurement prints the servers' CPU per mutation (steadier than the rates
 * on a shared machine, where a capped run's rate moves by 2x from one run to the next).
 */
export async function runScaleOutBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator();
  const token = await staffToken();
  const processes: BenchProcess[] = [];
  const compareRoot = process.env.BENCH_COMPARE_ROOT;
  const setups = [
    { name: 'one process', database: 'bench_scale_one', servers: 1, root: undefined as string | undefined },
    { name: 'two processes', database: 'bench_scale_two', servers: 2, root: undefined as string | undefined },
  ]
    .flatMap((s) =>
      compareRoot ? [s, { ...s, name: `${s.name} (${compareRoot})`, database: `${s.database}_compare`, root: compareRoot }] : [s],
    )
    .map((s) => ({
      ...s,
      url: '',
      urls: [] as string[],
      pids: [] as number[],
      customerId: '',
      rates: [] as number[],
      busy: [] as number[],
      cappedRates: [] as number[],
      cappedBusy: [] as number[],
    }));
  let cappable = true;
  try {
    for (const setup of setups) {
      setup.url = await createMigratedDatabase(server, setup.database, setup.root);
      for (let i = 0; i < setup.servers; i++) {
        const p = await startOurServer(setup.url, { root: setup.root });
        processes.push(p);
        setup.urls.push(p.url);
        setup.pids.push(p.pid);
      }
      setup.customerId = await seedCatalog(setup.urls[0]!, token, SKU);
    }
    let batch = 0;
    // One measurement: fresh orders, the load over the setup's servers, mutations/s and cores busy.
    const measure = async (setup: (typeof setups)[number], label: string) => {
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `scale-${batch}-${i}`);
      const bodies = addItemBodies(orderIds, SKU).ours;
      await createOrders(setup.urls[0]!, token, setup.customerId, orderIds);
      const before = await count(setup.url, ITEMS_ADDED);
      const cpuBefore = cpuSeconds(setup.pids);
      const { result, cores } = await machineCoresBusy(() =>
        runLoad(load, {
          targets: setup.urls.map((url) => ({ url, bodies })),
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs,
        }),
      );
      const cpu = cpuSeconds(setup.pids) - cpuBefore;
      const added = (await count(setup.url, ITEMS_ADDED)) - before;
      console.log(
        `  ${setup.name}, ${label}: ${(added / result.seconds).toFixed(0)} mutations/s; server CPU ${((1000 * cpu) / added).toFixed(2)} ms per mutation`,
      );
      return { rate: added / result.seconds, cores };
    };
    for (let run = 0; run < runs; run++) {
      for (const setup of setups) {
        batch++;
        const { rate, cores } = await measure(setup, 'as is');
        setup.rates.push(rate);
        setup.busy.push(cores);
      }
      if (!cappable) continue;
      for (const setup of setups) {
        const quotas = setup.pids.map((pid) => limitCpu(pid, CAPPED_CORES));
        try {
          if (quotas.some((q) => !q)) {
            cappable = false;
            break;
          }
          batch++;
          const { rate, cores } = await measure(setup, 'capped');
          setup.cappedRates.push(rate);
          setup.cappedBusy.push(cores);
        } finally {
          quotas.forEach((q) => q?.release());
        }
      }
    }
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await server.close();
  }
  type Setup = (typeof setups)[number];
  // One pair (one process, two processes) per checkout.
  const pairs = [...new Set(setups.map((s) => s.root))].map((root) => setups.filter((s) => s.root === root) as [Setup, Setup]);
  const line = (label: string, rates: (s: Setup) => number[], busy: (s: Setup) => number[], pair: [Setup, Setup]) => {
    const [one, two] = pair.map((s) => median(rates(s))) as [number, number];
    // How much of the machine was busy (anyone's work): with no idle core left, a second process cannot add throughput.
    const cores = pair
      .map((s) => median(busy(s)).toFixed(1))
      .reverse()
      .join(' / ');
    const of = pair[0].root ? ` (${pair[0].root})` : '';
    return `| addItem over HTTP, ${CONNECTIONS} connections, ${label}${of}: two processes vs one | ${formatRate(two)} mutations/s | ${formatRate(one)} mutations/s | ${(two / one).toFixed(2)}x | ${cores} of ${os.cpus().length} |`;
  };
  const lines = pairs.map((pair) =>
    line(
      'as is',
      (s) => s.rates,
      (s) => s.busy,
      pair,
    ),
  );
  if (cappable)
    lines.push(
      ...pairs.map((pair) =>
        line(
          `each server capped at ${CAPPED_CORES} of a core`,
          (s) => s.cappedRates,
          (s) => s.cappedBusy,
          pair,
        ),
      ),
    );
  else
    lines.push(
      `| capped comparison skipped: cannot set a CPU quota through cgroups here (needs root and a cgroup cpu controller) | | | | |`,
    );
  lines.forEach((l) => console.log(l));
  return ['| scenario | two processes | one process | two / one (ideal 2x) | cores busy, two / one |', '|---|---|---|---|---|', ...lines];
}
