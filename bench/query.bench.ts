import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { authHeaders, createOrders, post, seedCatalog, staffToken, startOurServer, startPlainServer } from './lib/servers.js';

const ORDERS = 64;
const CONNECTIONS = 16;
const SKUS = ['QUERY-1', 'QUERY-2', 'QUERY-3'];
const SELECTION = '{ id status totalCents itemCount items { sku quantity unitPriceCents } }';

/**
 * Query `order(id)` over HTTP (autocannon, 16 connections): our server (JWT auth, the read-table
 * lookup of summary and lines, the customer scoping check) vs the plain Yoga server reading the
 * same row and lines of the same database with one `pg` SELECT. 64 orders of 3 lines; both servers
 * pinned to core 0, the load generator to core 1. Answers/s (every answer checked to be 200; a
 * sample of each server's answers is checked to be the order).
 */
export async function runQueryBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const processes: BenchProcess[] = [];
  const oursRates: number[] = [];
  const plainRates: number[] = [];
  try {
    const url = await createMigratedDatabase(server, 'bench_query');
    const ours = await startOurServer(url, { cpu: 0 });
    processes.push(ours);
    const customerId = await seedCatalog(ours.url, token, SKUS[0]!);
    for (const sku of SKUS.slice(1))
      await post(
        ours.url,
        token,
        `mutation { addProduct(input: {sku: "${sku}", name: "Bench", priceCents: 250, initialStock: 1}) { __typename } }`,
      );
    const orderIds = Array.from({ length: ORDERS }, (_, i) => `query-${i}`);
    await createOrders(ours.url, token, customerId, orderIds);
    let position = '0';
    for (const orderId of orderIds) {
      for (const sku of SKUS) {
        const r = await post(
          ours.url,
          token,
          `mutation { addItem(input: {orderId: "${orderId}", sku: "${sku}", quantity: 2}) { ... on CommandSuccess { position } } }`,
        );
        position = r.data.addItem.position as string;
      }
    }
    // Both answer from the read tables: wait until the projection has every line.
    const probe = await post(ours.url, token, `query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) ${SELECTION} }`, {
      id: orderIds.at(-1),
      p: position,
    });
    const plain = await startPlainServer(url, 0);
    processes.push(plain);
    const plainProbe = await post(plain.url, token, `query($id: ID!) { order(id: $id) ${SELECTION} }`, { id: orderIds.at(-1) });
    if (JSON.stringify(probe.data.order) !== JSON.stringify(plainProbe.data.order)) {
      throw new Error(
        `the two servers answer differently: ${JSON.stringify(probe.data.order)} vs ${JSON.stringify(plainProbe.data.order)}`,
      );
    }
    const bodies = orderIds.map((id) => JSON.stringify({ query: `{ order(id: "${id}") ${SELECTION} }` }));
    for (let run = 0; run < runs; run++) {
      const o = await runLoad(load, {
        targets: [{ url: ours.url, bodies }],
        headers: authHeaders(token),
        connections: CONNECTIONS,
        durationMs,
      });
      oursRates.push(o.ok / o.seconds);
      const p = await runLoad(load, {
        targets: [{ url: plain.url, bodies }],
        headers: authHeaders(token),
        connections: CONNECTIONS,
        durationMs,
      });
      plainRates.push(p.ok / p.seconds);
    }
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await server.close();
  }
  const [o, p] = [median(oursRates), median(plainRates)];
  const line = `| order(id) over HTTP, ${CONNECTIONS} connections | ${formatRate(o)} queries/s | ${formatRate(p)} queries/s | ${(o / p).toFixed(2)}x | ${o / p >= 0.8 ? 'met' : 'missed'} |`;
  console.log(line);
  return ['| scenario | ours | plain Yoga + pg | ours / plain | goal (>= 0.8x) |', '|---|---|---|---|---|', line];
}
