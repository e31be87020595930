import pg from 'pg';
import { PROJECTIONS } from '../src/features.js';
import { debianPostgresBin, startReplicatedPostgres, type ReplicatedPostgres } from '../tests/support/replicatedPostgres.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { seedShop, waitForProjections } from './lib/seedShop.js';
import { authHeaders, BUSY_MACHINE, createOrders, post, staffToken, startOurServer } from './lib/servers.js';

const ORDERS = Number(process.env.BENCH_REPLICA_ORDERS ?? 20_000);
const CONNECTIONS = 16;
const ALL = PROJECTIONS.map((p) => p.name);
const ORDER = '{ id status totalCents itemCount customerName items { sku quantity unitPriceCents } }';
const SEARCH = '{ totalCount edges { node { id status totalCents customerName } } }';

/** Waits until every replica's copy of the projection checkpoints equals the primary's. */
async function waitForReplay(cluster: ReplicatedPostgres): Promise<void> {
  const read = async (url: string) => {
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ at: string }>(
        `SELECT string_agg(name || '=' || position, ',' ORDER BY name) AS at FROM projection_checkpoints`,
      );
      return rows[0]!.at;
    } finally {
      await client.end();
    }
  };
  const target = await read(cluster.primary.url);
  const deadline = Date.now() + 120_000;
  for (const replica of cluster.replicas) {
    while ((await read(replica.url)) !== target) {
      if (Date.now() > deadline) throw new Error(`replica ${replica.port} did not replay the primary's checkpoints`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The share of query reads each database served, from the server's /metrics (empty without replicas). */
async function readShares(graphqlUrl: string): Promise<string> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const counts = [...text.matchAll(/^ordersource_read_database_reads_total\{database="([^"]+)",reader="query"\} (\d+)/gm)].map(
    ([, database, n]) => [database!, Number(n)] as const,
  );
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  return counts
    .map(
      ([database, n]) =>
        `${database === 'primary' ? 'primary' : `:${database.split(':')[1]!.split('/')[0]}`} ${((100 * n) / total).toFixed(0)} %`,
    )
    .join(', ');
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

/**
 * Read replicas on this machine: `order(id)` and `searchOrders` queries/s served with 0, 1 and 2
 * streaming replicas (Debian's PostgreSQL, `pg_basebackup -R`, as the replica tests set them up:
 * fsync off), 20,000 orders; one server process per setting, each pinned to core 0, the load
 * generator to core 1, runs interleaved. Then the latency of a read right after a write, one
 * request at a time: `order(id, consistentWith: <the write's position>)` vs a plain `order(id)`,
 * with 0, 1 and 2 replicas (p50 / p99, and how often the plain read missed the write).
 */
export async function runReplicasBench(): Promise<string[]> {
  const { runs, durationMs, quick } = benchOptions();
  if (!debianPostgresBin()) {
    const line = '| replicas | skipped: Debian PostgreSQL (`apt-get install postgresql`, for pg_basebackup) is not installed |';
    console.log(line);
    return ['| scenario | result |', '|---|---|', line];
  }
  const cluster = await startReplicatedPostgres({}, 2);
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const processes: BenchProcess[] = [];
  const lines: string[] = [];
  try {
    const shop = await seedShop(cluster.primary.url, ORDERS);
    const settings = [0, 1, 2].map((n) => ({
      name: `${n} replica${n === 1 ? '' : 's'}`,
      urls: cluster.replicas.slice(0, n).map((r) => r.url),
      process: undefined as unknown as BenchProcess,
    }));
    // Every setting's server on the same primary: the first to start runs the projections (they
    // are idle once caught up), the others serve only what they are asked.
    for (const setting of settings) {
      setting.process = await startOurServer(cluster.primary.url, {
        cpu: 0,
        env: { ...BUSY_MACHINE, READ_DATABASE_URLS: setting.urls.join(',') },
      });
      processes.push(setting.process);
    }
    await waitForProjections(cluster.primary.url, ALL);
    await waitForReplay(cluster);

    const kinds = [
      {
        name: 'order(id), 1,000 orders cycled',
        bodies: Array.from({ length: 1_000 }, (_, n) =>
          JSON.stringify({ query: `{ order(id: "${shop.orderId((n * 97) % shop.orders)}") ${ORDER} }` }),
        ),
      },
      {
        name: `searchOrders, a full name (~${Math.max(1, Math.round(shop.orders / 2_000))} matches), first: 20, totalCount`,
        bodies: Array.from({ length: 50 }, (_, n) =>
          JSON.stringify({
            query: `query($q: String!) { searchOrders(query: $q, first: 20) ${SEARCH} }`,
            variables: { q: shop.fullName(n) },
          }),
        ),
      },
    ];
    for (const setting of settings) {
      const sample = await post(setting.process.url, token, JSON.parse(kinds[0]!.bodies[0]!).query);
      if (!sample.data.order?.customerName) throw new Error(`${setting.name}: order(id) answered ${JSON.stringify(sample.data)}`);
      for (const kind of kinds)
        await runLoad(load, {
          targets: [{ url: setting.process.url, bodies: kind.bodies }],
          headers: authHeaders(token),
          connections: CONNECTIONS,
          durationMs: 1_000,
        });
    }
    const rates = settings.map(() => kinds.map(() => [] as number[]));
    for (let run = 0; run < runs; run++) {
      for (const [s, setting] of settings.entries()) {
        for (const [k, kind] of kinds.entries()) {
          const r = await runLoad(load, {
            targets: [{ url: setting.process.url, bodies: kind.bodies }],
            headers: authHeaders(token),
            connections: CONNECTIONS,
            durationMs,
          });
          rates[s]![k]!.push(r.ok / r.seconds);
        }
      }
    }
    const shares = await Promise.all(settings.map((s) => readShares(s.process.url)));
    lines.push(
      `| ${ORDERS.toLocaleString('en')} orders, ${CONNECTIONS} connections | ${settings.map((s) => s.name).join(' | ')} | 1 / 0, 2 / 0 |`,
      `|---|${settings.map(() => '---|').join('')}---|`,
      ...kinds.map((kind, k) => {
        const m = settings.map((_, s) => median(rates[s]![k]!));
        return `| ${kind.name}, queries/s | ${m.map(formatRate).join(' | ')} | ${(m[1]! / m[0]!).toFixed(2)}x, ${(m[2]! / m[0]!).toFixed(2)}x |`;
      }),
      `| share of query reads served (from /metrics) | primary only | ${shares[1]} | ${shares[2]} | |`,
    );
    lines.forEach((l) => console.log(l));

    // Read-your-writes: a write, then at once a read of it (with its position, or without).
    const samples = quick ? 100 : 400;
    const orderIds = Array.from({ length: 40 }, (_, i) => `ryw-${i}`);
    await createOrders(settings[0]!.process.url, token, 'customer-0', orderIds);
    await waitForProjections(cluster.primary.url, ALL);
    const latency: string[] = [];
    for (const setting of settings) {
      const consistent: number[] = [];
      const plain: number[] = [];
      let stale = 0;
      const write = async (orderId: string) => {
        const r = await post(
          setting.process.url,
          token,
          `mutation { addItem(input: {orderId: "${orderId}", sku: "${shop.sku}", quantity: 1}) { ... on CommandSuccess { position version } } }`,
        );
        if (!r.data.addItem.position) throw new Error(`addItem ${orderId}: ${JSON.stringify(r.data)}`);
        return r.data.addItem as { position: string; version: number };
      };
      for (let i = 0; i < samples + 10; i++) {
        const orderId = orderIds[i % orderIds.length]!;
        const written = await write(orderId);
        let started = performance.now();
        const c = await post(setting.process.url, token, 'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { version } }', {
          id: orderId,
          p: written.position,
        });
        const consistentMs = performance.now() - started;
        if (c.data.order.version < written.version) throw new Error(`a consistentWith read missed its write: ${JSON.stringify(c.data)}`);
        const again = await write(orderId);
        started = performance.now();
        const p = await post(setting.process.url, token, 'query($id: ID!) { order(id: $id) { version } }', { id: orderId });
        const plainMs = performance.now() - started;
        if (i < 10) continue; // warm-up
        consistent.push(consistentMs);
        plain.push(plainMs);
        if (p.data.order.version < again.version) stale++;
      }
      latency.push(
        `| ${setting.name} | ${percentile(plain, 50).toFixed(1)} / ${percentile(plain, 99).toFixed(1)} ms | ${percentile(consistent, 50).toFixed(1)} / ${percentile(consistent, 99).toFixed(1)} ms | +${(percentile(consistent, 50) - percentile(plain, 50)).toFixed(1)} / +${(percentile(consistent, 99) - percentile(plain, 99)).toFixed(1)} ms | ${stale} of ${samples} |`,
      );
      console.log(latency.at(-1));
    }
    lines.push(
      '',
      `| read right after a write, one at a time (${samples} each) | plain order(id) p50 / p99 | order(id, consistentWith) p50 / p99 | added by consistentWith | plain reads that missed the write |`,
      '|---|---|---|---|---|',
      ...latency,
    );
  } finally {
    for (const p of processes) await p.stop();
    await load.stop();
    await cluster.destroy();
  }
  return lines;
}
