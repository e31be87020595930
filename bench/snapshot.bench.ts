import { connectDatabase } from '../src/db/database.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { addProduct, post, staffToken, startOurServer } from './lib/servers.js';

const LONG_EVENTS = 10_000;
const APPEND_BATCH = 1_000;

// The long stream is a product's: a hot product's stream grows with every order that reserves it,
// while a draft order takes at most 500 item changes (a 10,000-event order cannot be made).

/** Appends a product of `events` events straight to the log: added, then restocked one unit at a time. */
async function seedLongProduct(databaseUrl: string, sku: string, events: number): Promise<void> {
  const db = connectDatabase(databaseUrl, { poolSize: 2 });
  const store = new EventStore(db);
  const all = [
    { type: 'ProductAdded', data: { sku, name: 'Bench', priceCents: 100, initialStock: 1 } },
    ...Array.from({ length: events - 1 }, () => ({ type: 'ProductRestocked', data: { quantity: 1 } })),
  ];
  try {
    for (let start = 0; start < all.length; start += APPEND_BATCH) {
      await store.append({
        streams: [
          { streamId: `Product-${sku}`, streamType: 'Product', expectedVersion: start, events: all.slice(start, start + APPEND_BATCH) },
        ],
        metadata: { actor: 'staff:bench', occurredAt: new Date().toISOString() },
      });
    }
  } finally {
    await db.close();
  }
}

/** One restockProduct of one unit over HTTP, timed in ms. */
async function timedCommand(url: string, token: string, sku: string): Promise<number> {
  const started = performance.now();
  const r = await post(
    url,
    token,
    `mutation { restockProduct(input: {sku: "${sku}", quantity: 1}) { __typename ... on Error { message } } }`,
  );
  const ms = performance.now() - started;
  const answer = r.data.restockProduct;
  if (!String(answer.__typename).endsWith('Success')) throw new Error(`command failed: ${JSON.stringify(answer)}`);
  return ms;
}

/**
 * Snapshots: latency of one command (restockProduct, one at a time over HTTP) on a product stream
 * of 10,000 events vs a fresh product, interleaved. The long streams are appended straight to the
 * log (no snapshot), so the first command on one folds all 10,000 events and saves a snapshot. Two
 * servers on the same database, each with its own long product: one as shipped (the
 * state cache keeps each stream's folded state, so a command reads only the events since), one
 * with STATE_CACHE_STREAMS=0 (every command loads the stored snapshot plus the tail, as a
 * restarted process or another process does). Also shown: the second with its snapshot deleted
 * before each command (what every command would cost with neither). RUN_PROJECTIONS=false
 * (commands only), pinned to core 0.
 */
export async function runSnapshotBench(): Promise<string[]> {
  const { runs, quick } = benchOptions();
  const commands = quick ? 40 : 200;
  const server = await startBenchServer();
  const processes: BenchProcess[] = [];
  const setups = [
    {
      name: 'as shipped (state cache + snapshots)',
      env: {} as Record<string, string>,
      longId: 'SNAP-LONG',
      url: '',
      long: [] as number[],
      fresh: [] as number[],
      cold: 0,
    },
    {
      name: 'stored snapshot + tail only (STATE_CACHE_STREAMS=0)',
      env: { STATE_CACHE_STREAMS: '0' },
      longId: 'SNAP-LONG-UNCACHED',
      url: '',
      long: [] as number[],
      fresh: [] as number[],
      cold: 0,
    },
  ];
  const unsnapshotted: number[] = [];
  try {
    const url = await createMigratedDatabase(server, 'bench_snapshot');
    const token = await staffToken();
    for (const setup of setups) {
      const ours = await startOurServer(url, { runProjections: false, cpu: 0, env: setup.env });
      processes.push(ours);
      setup.url = ours.url;
      await seedLongProduct(url, setup.longId, LONG_EVENTS);
      setup.cold = await timedCommand(ours.url, token, setup.longId);
    }
    const db = connectDatabase(url, { poolSize: 1 });
    try {
      for (let run = 0; run < runs; run++) {
        for (const setup of setups) {
          const freshSku = `FRESH-${setup.longId}-${run}`;
          const added = await addProduct(setup.url, token, freshSku);
          if (added !== 'AddProductSuccess') throw new Error(`addProduct ${freshSku}: ${added}`);
          const f: number[] = [];
          const l: number[] = [];
          for (let i = 0; i < commands; i++) {
            l.push(await timedCommand(setup.url, token, setup.longId));
            f.push(await timedCommand(setup.url, token, freshSku));
          }
          setup.fresh.push(median(f));
          setup.long.push(median(l));
        }
        const [, uncached] = setups;
        const u: number[] = [];
        for (let i = 0; i < 3; i++) {
          await db.pool.query('DELETE FROM snapshots WHERE stream_id = $1', [`Product-${uncached!.longId}`]);
          u.push(await timedCommand(uncached!.url, token, uncached!.longId));
        }
        unsnapshotted.push(median(u));
      }
    } finally {
      await db.close();
    }
  } finally {
    for (const p of processes) await p.stop();
    await server.close();
  }
  const row = (label: string, long: number, fresh: number, goal: boolean) =>
    `| ${label} | ${long.toFixed(1)} ms | ${fresh.toFixed(1)} ms | ${(long / fresh).toFixed(2)}x | ${goal ? (long / fresh <= 1.5 ? 'met' : 'missed') : ''} |`;
  const lines = [
    ...setups.map((s) =>
      row(
        `command on a ${LONG_EVENTS.toLocaleString('en')}-event product stream vs a fresh product, p50, ${s.name}`,
        median(s.long),
        median(s.fresh),
        true,
      ),
    ),
    row(
      'same, with neither (state cache off, snapshot deleted before each command)',
      median(unsnapshotted),
      median(setups[1]!.fresh),
      false,
    ),
    row(
      `first command on the long stream (folds all ${LONG_EVENTS.toLocaleString('en')} events, saves the snapshot)`,
      setups[1]!.cold,
      median(setups[1]!.fresh),
      false,
    ),
  ];
  lines.forEach((line) => console.log(line));
  return ['| scenario | long stream | fresh stream | long / fresh | goal (<= 1.5x) |', '|---|---|---|---|---|', ...lines];
}
