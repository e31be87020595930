import os from 'node:os';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { machineCoresBusy } from './lib/cpu.js';
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
 */
export async function runScaleOutBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator();
  const token = await staffToken();
  const processes: BenchProcess[] = [];
  const setups = [
    { name: 'one process', database: 'bench_scale_one', servers: 1 },
    { name: 'two processes', database: 'bench_scale_two', servers: 2 },
  ].map((s) => ({
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
      setup.url = await createMigratedDatabase(server, setup.database);
      for (let i = 0; i < setup.servers; i++) {
        const p = await startOurServer(setup.url);
        processes.push(p);
        setup.urls.push(p.url);
        setup.pids.push(p.pid);
      }
      setup.customerId = await seedCatalog(setup.urls[0]!, token, SKU);
    }
    let batch = 0;
    // One measurement: fresh orders, the load over the setup's servers, mutations/s and cores busy.
    const measure = async (setup: (typeof setups)[number]) => {
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `scale-${batch}-${i}`);
      const bodies = addItemBodies(orderIds, SKU).ours;
      await createOrders(setup.urls[0]!, token, setup.customerId, orderIds);
      const before = await count(setup.url, ITEMS_ADDED);
      const { result, cores } = await machineCoresBusy(() =>
        runLoad(load, {
          targets: setup.urls.map((url) => ({ url, bodies })),
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs,
        }),
      );
      return { rate: ((await count(setup.url, ITEMS_ADDED)) - before) / result.seconds, cores };
    };
    for (let run = 0; run < runs; run++) {
      for (const setup of setups) {
        batch++;
        const { rate, cores } = await measure(setup);
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
          const { rate, cores } = await measure(setup);
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
  const line = (label: string, rates: (s: (typeof setups)[number]) => number[], busy: (s: (typeof setups)[number]) => number[]) => {
    const [one, two] = setups.map((s) => median(rates(s))) as [number, number];
    // How much of the machine was busy (anyone's work): with no idle core left, a second process cannot add throughput.
    const cores = setups
      .map((s) => median(busy(s)).toFixed(1))
      .reverse()
      .join(' / ');
    return `| addItem over HTTP, ${CONNECTIONS} connections, ${label}: two processes vs one | ${formatRate(two)} mutations/s | ${formatRate(one)} mutations/s | ${(two / one).toFixed(2)}x | ${cores} of ${os.cpus().length} |`;
  };
  const lines = [
    line(
      'as is',
      (s) => s.rates,
      (s) => s.busy,
    ),
  ];
  if (cappable)
    lines.push(
      line(
        `each server capped at ${CAPPED_CORES} of a core`,
        (s) => s.cappedRates,
        (s) => s.cappedBusy,
      ),
    );
  else
    lines.push(
      `| capped comparison skipped: cannot set a CPU quota through cgroups here (needs root and a cgroup cpu controller) | | | | |`,
    );
  lines.forEach((l) => console.log(l));
  return ['| scenario | two processes | one process | two / one (ideal 2x) | cores busy, two / one |', '|---|---|---|---|---|', ...lines];
}
