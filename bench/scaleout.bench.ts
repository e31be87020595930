import os from 'node:os';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { machineCoresBusy } from './lib/cpu.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { addItemBodies, authHeaders, createOrders, seedCatalog, staffToken, startOurServer } from './lib/servers.js';
import { count } from './mutation.bench.js';

const ORDERS = 64;
const CONNECTIONS = 16;
const SKU = 'SCALE-1';
const ITEMS_ADDED = `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`;

/**
 * Scale-out: the `addItem` load (16 connections in all) on one server process vs spread evenly
 * over two server processes on one PostgreSQL (each its own database; in the pair, the projections
 * run in whichever process holds their lock, as in production). Nothing is pinned here: pinning two
 * servers to the two cores would leave the load generator and PostgreSQL to squeeze onto busy ones.
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
  ].map((s) => ({ ...s, url: '', urls: [] as string[], customerId: '', rates: [] as number[], busy: [] as number[] }));
  try {
    for (const setup of setups) {
      setup.url = await createMigratedDatabase(server, setup.database);
      for (let i = 0; i < setup.servers; i++) {
        const p = await startOurServer(setup.url);
        processes.push(p);
        setup.urls.push(p.url);
      }
      setup.customerId = await seedCatalog(setup.urls[0]!, token, SKU);
    }
    for (let run = 0; run < runs; run++) {
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `scale-${run}-${i}`);
      const bodies = addItemBodies(orderIds, SKU).ours;
      for (const setup of setups) {
        await createOrders(setup.urls[0]!, token, setup.customerId, orderIds);
        const before = await count(setup.url, ITEMS_ADDED);
        const { result, cores } = await machineCoresBusy(() =>
          runLoad(load, { targets: setup.urls.map((url) => ({ url, bodies })), headers: authHeaders(token), connections: CONNECTIONS, durationMs }),
        );
        setup.rates.push(((await count(setup.url, ITEMS_ADDED)) - before) / result.seconds);
        setup.busy.push(cores);
      }
    }
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await server.close();
  }
  const [one, two] = setups.map((s) => median(s.rates)) as [number, number];
  // How much of the machine was busy (anyone's work): with no idle core left, a second process cannot add throughput.
  const busy = setups.map((s) => median(s.busy).toFixed(1)).reverse().join(' / ');
  const line = `| addItem over HTTP, ${CONNECTIONS} connections: two processes vs one | ${formatRate(two)} mutations/s | ${formatRate(one)} mutations/s | ${(two / one).toFixed(2)}x | ${busy} of ${os.cpus().length} |`;
  console.log(line);
  return ['| scenario | two processes | one process | two / one (ideal 2x) | cores busy, two / one |', '|---|---|---|---|---|', line];
}
