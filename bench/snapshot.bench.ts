import { connectDatabase } from '../src/db/database.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { createOrders, post, seedCatalog, staffToken, startOurServer } from './lib/servers.js';

const LONG_EVENTS = 10_000;
const SKU = 'SNAP-1';
const APPEND_BATCH = 1_000;

/** Appends an order of `events` events straight to the log: created, then items added and removed in turn. */
async function seedLongOrder(databaseUrl: string, orderId: string, customerId: string, events: number): Promise<void> {
  const db = connectDatabase(databaseUrl, { poolSize: 2 });
  const store = new EventStore(db);
  const all = [
    { type: 'OrderCreated', data: { orderId, customerId } },
    ...Array.from({ length: events - 1 }, (_, i) =>
      i % 2 === 0
        ? { type: 'ItemAdded', data: { sku: SKU, name: 'Bench', quantity: 1, unitPriceCents: 100 } }
        : { type: 'ItemRemoved', data: { sku: SKU, quantity: 1 } },
    ),
  ];
  try {
    for (let start = 0; start < all.length; start += APPEND_BATCH) {
      await store.append({
        streams: [
          { streamId: `Order-${orderId}`, streamType: 'Order', expectedVersion: start, events: all.slice(start, start + APPEND_BATCH) },
        ],
        metadata: { actor: 'staff:bench', occurredAt: new Date().toISOString() },
      });
    }
  } finally {
    await db.close();
  }
}

/** One command over HTTP, timed in ms: addItem or removeItem of one unit, so lines stay bounded. */
async function timedCommand(url: string, token: string, orderId: string, add: boolean): Promise<number> {
  const query = add
    ? `mutation { addItem(input: {orderId: "${orderId}", sku: "${SKU}", quantity: 1}) { __typename ... on Error { message } } }`
    : `mutation { removeItem(input: {orderId: "${orderId}", sku: "${SKU}", quantity: 1}) { __typename ... on Error { message } } }`;
  const started = performance.now();
  const r = await post(url, token, query);
  const ms = performance.now() - started;
  const answer = r.data[add ? 'addItem' : 'removeItem'];
  if (!String(answer.__typename).endsWith('Success')) throw new Error(`command failed: ${JSON.stringify(answer)}`);
  return ms;
}

/**
 * Snapshots: latency of one command (addItem / removeItem in turn, one at a time over HTTP) on an
 * order stream of 10,000 events vs a fresh order, interleaved. The long streams are appended
 * straight to the log (no snapshot), so the first command on one folds all 10,000 events and saves
 * a snapshot. Two servers on the same database, each with its own long order: one as shipped (the
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
      longId: 'long',
      url: '',
      long: [] as number[],
      fresh: [] as number[],
      cold: 0,
    },
    {
      name: 'stored snapshot + tail only (STATE_CACHE_STREAMS=0)',
      env: { STATE_CACHE_STREAMS: '0' },
      longId: 'long-uncached',
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
    let customerId = '';
    for (const setup of setups) {
      const ours = await startOurServer(url, { runProjections: false, cpu: 0, env: setup.env });
      processes.push(ours);
      setup.url = ours.url;
      customerId ||= await seedCatalog(ours.url, token, SKU);
      await seedLongOrder(url, setup.longId, customerId, LONG_EVENTS);
      // The seeded stream ends on an addition: one unit on the line, which this first command removes.
      setup.cold = await timedCommand(ours.url, token, setup.longId, false);
    }
    const db = connectDatabase(url, { poolSize: 1 });
    try {
      for (let run = 0; run < runs; run++) {
        for (const setup of setups) {
          const freshId = `fresh-${setup.longId}-${run}`;
          await createOrders(setup.url, token, customerId, [freshId]);
          const f: number[] = [];
          const l: number[] = [];
          for (let i = 0; i < commands; i++) {
            // Add, then remove, in turn: the line never goes below what it held (the cold removal emptied it).
            l.push(await timedCommand(setup.url, token, setup.longId, i % 2 === 0));
            f.push(await timedCommand(setup.url, token, freshId, i % 2 === 0));
          }
          setup.fresh.push(median(f));
          setup.long.push(median(l));
        }
        const [, uncached] = setups;
        const u: number[] = [];
        for (let i = 0; i < 3; i++) {
          await db.pool.query('DELETE FROM snapshots WHERE stream_id = $1', [`Order-${uncached!.longId}`]);
          u.push(await timedCommand(uncached!.url, token, uncached!.longId, i % 2 === 0));
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
        `command on a ${LONG_EVENTS.toLocaleString('en')}-event order vs a fresh order, p50, ${s.name}`,
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
      `first command on the long order (folds all ${LONG_EVENTS.toLocaleString('en')} events, saves the snapshot)`,
      setups[1]!.cold,
      median(setups[1]!.fresh),
      false,
    ),
  ];
  lines.forEach((line) => console.log(line));
  return ['| scenario | long stream | fresh order | long / fresh | goal (<= 1.5x) |', '|---|---|---|---|---|', ...lines];
}
