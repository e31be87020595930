import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { appendBatch } from '../../src/eventStore/append.js';
import type { AppendRequest } from '../../src/eventStore/types.js';
import { median } from './measure.js';

// What the scale scenario measures besides HTTP load: start-up, memory, a subscription's first
// message, disk per event, and how fast the projections catch up with events appended while the
// server was down.

/** The server's resident memory (VmRSS), in MB. */
export function residentMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/\d+/)?.[0] ?? 0) / 1024;
}

/**
 * CPU seconds (user + system) the process has used: what a start costs apart from waiting for a
 * core, which on a shared machine is most of the wall time.
 */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the command's closing paren), in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Polls `/ready` until it answers 200; returns when (performance.now()). */
export async function waitUntilReady(graphqlUrl: string, timeoutMs = 600_000): Promise<number> {
  const url = graphqlUrl.replace(/\/graphql$/, '/ready');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return performance.now();
    if (performance.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Median ms from opening a WebSocket to the first message of `orderStatusChanged` (the order's current status), over `orderIds`. */
export async function firstMessageMs(graphqlUrl: string, token: string, orderIds: string[]): Promise<number> {
  const times: number[] = [];
  for (const orderId of orderIds) {
    const started = performance.now();
    const client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const stop = client.subscribe(
          { query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { status } }', variables: { id: orderId } },
          {
            next: (message) => {
              if (message.errors) reject(new Error(JSON.stringify(message.errors)));
              else resolve();
              stop();
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      times.push(performance.now() - started);
    } finally {
      await client.dispose();
    }
  }
  return median(times);
}

/** Bytes on disk: the log (heap and TOAST), its indexes, the read models, their indexes. */
export interface DiskUse {
  events: number;
  log: number;
  logIndexes: number;
  readModels: number;
  readModelIndexes: number;
}

const NOT_READ_MODELS = [
  'events',
  '_prisma_migrations',
  'command_results',
  'snapshots',
  'data_keys',
  'rate_limit_buckets',
  'projection_checkpoints',
];

export async function diskUse(url: string): Promise<DiskUse> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string; log: string; log_indexes: string; read: string; read_indexes: string }>(
      `SELECT (SELECT count(*) FROM events) AS events, pg_table_size('events') AS log, pg_indexes_size('events') AS log_indexes,
              sum(pg_table_size(c.oid)) AS read, sum(pg_indexes_size(c.oid)) AS read_indexes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> ALL($1)`,
      [NOT_READ_MODELS],
    );
    const r = rows[0]!;
    return {
      events: Number(r.events),
      log: Number(r.log),
      logIndexes: Number(r.log_indexes),
      readModels: Number(r.read),
      readModelIndexes: Number(r.read_indexes),
    };
  } finally {
    await client.end();
  }
}

/**
 * Appends `events` events (orders of five: created, three lines, submitted) with the event store's
 * append, as commands would have while the server was down; returns the head after them.
 */
export async function appendOrders(url: string, events: number, customerId: string, sku: string, prefix: string): Promise<bigint> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let head = 0n;
  try {
    const orders = Math.ceil(events / 5);
    for (let start = 0; start < orders; start += 500) {
      const requests: AppendRequest[] = [];
      for (let n = start; n < Math.min(orders, start + 500); n++) {
        const orderId = `${prefix}-${n}`;
        const line = { sku, name: 'Walnut Desk Lamp 1', quantity: 1, unitPriceCents: 100 };
        requests.push({
          streams: [
            {
              streamId: `Order-${orderId}`,
              streamType: 'Order',
              expectedVersion: 0,
              events: [
                { type: 'OrderCreated', data: { orderId, customerId } },
                { type: 'ItemAdded', data: line },
                { type: 'ItemAdded', data: { ...line, sku: 'SKU-0001', name: 'Copper Desk Lamp 1', unitPriceCents: 125 } },
                { type: 'ItemAdded', data: { ...line, sku: 'SKU-0002', name: 'Linen Desk Lamp 1', unitPriceCents: 150 } },
                {
                  type: 'OrderSubmitted',
                  data: { totalCents: 375, lines: [sku, 'SKU-0001', 'SKU-0002'].map((s) => ({ sku: s, quantity: 1 })) },
                },
              ],
            },
          ],
          metadata: { actor: 'staff:bench', occurredAt: new Date().toISOString() },
        });
      }
      for (const outcome of await appendBatch(pool, requests)) {
        if (outcome instanceof Error) throw outcome;
      }
    }
    const { rows } = await pool.query<{ head: string }>('SELECT max(position) AS head FROM events');
    head = BigInt(rows[0]!.head);
  } finally {
    await pool.end();
  }
  return head;
}

/** Ms from now until each projection's checkpoint reached `head`, by name (polled every 100 ms). */
export async function catchUpTimes(
  url: string,
  names: readonly string[],
  head: bigint,
  timeoutMs = 1_800_000,
): Promise<Map<string, number>> {
  const client = new pg.Client(url);
  await client.connect();
  const started = performance.now();
  const reached = new Map<string, number>();
  try {
    while (reached.size < names.length) {
      if (performance.now() - started > timeoutMs)
        throw new Error(`projections not at ${head}: ${names.filter((n) => !reached.has(n)).join(', ')}`);
      const { rows } = await client.query<{ name: string; position: string }>(
        'SELECT name, position::text FROM projection_checkpoints WHERE name = ANY($1)',
        [names],
      );
      for (const row of rows)
        if (!reached.has(row.name) && BigInt(row.position) >= head) reached.set(row.name, performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
    return reached;
  } finally {
    await client.end();
  }
}
