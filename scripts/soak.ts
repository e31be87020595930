/**
 * Soak: a bounded, mixed load against a server process of its own (embedded PostgreSQL in a temp
 * folder), reporting error rate, throughput and the server's memory, and failing when an
 * unexpected error occurs or memory does not stay flat.
 *
 *   npm run soak                       # 3 minutes
 *   npm run soak -- --seconds 600      # longer (or SOAK_SECONDS=600)
 *
 * Load: writers walking orders through their lifecycle (tests/faults/support/writeLoad.ts),
 * readers paging orders and products and reading single orders, and graphql-ws subscribers on
 * orderFeed, orderStatusChanged and inventoryChanged that leave and come back all the time.
 *
 * Memory: the server runs with the inspector on a local port; the soak asks it (DevTools
 * protocol) to collect garbage and report the live heap, after warm-up, during the run and once
 * the load has stopped and every client has gone. The heap after GC at the end must not exceed the
 * warm-up one by more than SOAK_MAX_HEAP_GROWTH_MB (default 8): that is what a leak per request,
 * per subscription or per change would break. RSS is sampled every second and reported (first
 * half vs second half) but not judged: the allocator keeps pages it no longer needs.
 * Prints one `SOAK RESULT {json}` line; exits 1 on failure.
 */
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startServerProcess } from '../tests/support/serverProcess.js';
import { cleanUp, cleanUpWhateverEnds, failAndCleanUp, leftovers } from './soakCleanup.js';
import { disposeClient } from '../tests/support/wsClient.js';
import { FAULT_JWT_SECRET, LOAD_SKUS, prepareLoad, staffToken, startWriteLoad } from '../tests/faults/support/writeLoad.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.SOAK_SECONDS ?? '180' },
    writers: { type: 'string', default: process.env.SOAK_WRITERS ?? '4' },
    readers: { type: 'string', default: process.env.SOAK_READERS ?? '2' },
    subscribers: { type: 'string', default: process.env.SOAK_SUBSCRIBERS ?? '30' },
    'max-heap-growth-mb': { type: 'string', default: process.env.SOAK_MAX_HEAP_GROWTH_MB ?? '8' },
  },
});
const seconds = Number(args.seconds);
const maxHeapGrowthMb = Number(args['max-heap-growth-mb']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** The server under soak: `src/main.ts` as `npm start` runs it, with the inspector on. */
async function startServer(dataDir: string) {
  const server = await startServerProcess(
    // Every subscriber of the soak connects from this one address: the cap on sockets per address is for clients.
    { DATA_DIR: dataDir, JWT_SECRET: FAULT_JWT_SECRET, WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000' },
    { nodeArgs: ['--inspect=127.0.0.1:0'] },
  );
  // Node prints the inspector's address before the server starts listening.
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1];
  if (!inspectorUrl) throw new Error(`no inspector address in the server's output:\n${server.output()}`);
  return { ...server, inspectorUrl };
}

/** The server's live heap after a full garbage collection, through the DevTools protocol. */
async function heapProbe(inspectorUrl: string) {
  const socket = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let next = 0;
  const waiting = new Map<number, (result: any) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  });
  const call = (method: string) =>
    new Promise<any>((resolve) => {
      const id = ++next;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  return {
    async heapAfterGc(): Promise<number> {
      // Twice: the first collection can leave objects whose finalisers free more.
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return ((await call('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    },
    close: () => socket.close(),
  };
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

interface Counters {
  queries: number;
  pushes: number;
  subscriptionsOpened: number;
  errors: Record<string, number>;
}
const count = (counters: Counters, code: string) => (counters.errors[code] = (counters.errors[code] ?? 0) + 1);

/** Readers: pages of orders and products, single orders, and the projections' status. */
function startReaders(url: string, token: string, n: number, orderIds: () => readonly string[], counters: Counters) {
  let running = true;
  const queries = [
    () => ['query { orders(first: 20) { totalCount edges { node { id status totalCents items { sku quantity } } } } }', {}],
    () => ['query { products(first: 10) { edges { node { sku available reserved } } } }', {}],
    () => [
      'query($id: ID!) { order(id: $id) { status totalCents history { type position } } }',
      { id: orderIds().at(-1 - Math.floor(Math.random() * Math.min(20, orderIds().length))) },
    ],
    () => ['query { projections { name lag status } }', {}],
  ] as const;
  const reader = async () => {
    while (running) {
      const [query, variables] = queries[Math.floor(Math.random() * queries.length)]!();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(20_000),
        });
        const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
        if (body.errors) count(counters, `query:${body.errors[0]?.extensions?.code ?? 'UNKNOWN'}`);
        else counters.queries++;
      } catch {
        count(counters, 'query:unanswered');
      }
      await sleep(5);
    }
  };
  const done = Promise.all(Array.from({ length: n }, reader));
  return async () => {
    running = false;
    await done;
  };
}

/** Subscribers that each stay for a few seconds, leave, and subscribe again. */
function startSubscribers(wsUrl: string, token: string, n: number, orderIds: () => readonly string[], counters: Counters) {
  let running = true;
  const open = new Set<Client>();
  const subscriptions = [
    () => ({ query: 'subscription { orderFeed { orderId type status position } }' }),
    () => ({
      query: 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { status position } }',
      variables: { id: orderIds().at(-1) },
    }),
    () => ({
      query: 'subscription($sku: String) { inventoryChanged(sku: $sku) { sku available } }',
      variables: { sku: LOAD_SKUS[Math.floor(Math.random() * LOAD_SKUS.length)] },
    }),
  ];
  const subscriber = async (index: number) => {
    while (running) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      open.add(client);
      const payload = subscriptions[index % subscriptions.length]!();
      counters.subscriptionsOpened++;
      const ended = new Promise<void>((resolve) => {
        client.subscribe(payload as { query: string }, {
          next: (value) =>
            value.errors
              ? count(counters, `subscription:${(value.errors[0] as { extensions?: { code?: string } }).extensions?.code ?? 'UNKNOWN'}`)
              : counters.pushes++,
          error: (error) => {
            if (running) count(counters, `subscription:${(error as { code?: number })?.code ?? (error as Error)?.message ?? 'error'}`);
            resolve();
          },
          complete: resolve,
        });
      });
      await Promise.race([ended, sleep(2_000 + Math.random() * 4_000)]);
      open.delete(client);
      await disposeClient(client);
    }
  };
  const done = Promise.all(Array.from({ length: n }, (_, i) => subscriber(i)));
  return async () => {
    running = false;
    await Promise.all([...open].map(disposeClient));
    await done;
  };
}

async function main(): Promise<void> {
  cleanUpWhateverEnds();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-soak-'));
  leftovers.dataDir = dataDir;
  await chmod(dataDir, 0o755); // run as root, the postgres user must reach the cluster inside
  const server = await startServer(dataDir);
  leftovers.server = server;
  const probe = await heapProbe(server.inspectorUrl);
  leftovers.probe = probe;
  let failed = true;
  try {
    const customerId = await prepareLoad(server.url);
    const token = await staffToken('soak-reader');
    const counters: Counters = { queries: 0, pushes: 0, subscriptionsOpened: 0, errors: {} };
    const writes = startWriteLoad(() => server.url, customerId, Number(args.writers));
    // Orders the writers created, for the readers and subscribers to look at.
    // Not the newest twenty: a subscription to an order the read side has not caught up with yet
    // is NOT_FOUND, rightly.
    const orderIds = () => writes.createdOrderIds.slice(0, -20);
    while (orderIds().length === 0) await sleep(50);
    const stopReaders = startReaders(server.url, token, Number(args.readers), orderIds, counters);
    const stopSubscribers = startSubscribers(server.url.replace('http', 'ws'), token, Number(args.subscribers), orderIds, counters);

    const started = Date.now();
    const rss: { at: number; bytes: number }[] = [];
    const heap: { at: number; bytes: number }[] = [];
    const warmUpMs = Math.min(20_000, (seconds * 1000) / 4);
    let nextHeapAt = started + warmUpMs;
    while (Date.now() - started < seconds * 1000) {
      rss.push({ at: Date.now() - started, bytes: await rssOf(server.child.pid!) });
      if (Date.now() >= nextHeapAt) {
        heap.push({ at: Date.now() - started, bytes: await probe.heapAfterGc() });
        nextHeapAt += Math.max(10_000, (seconds * 1000 - warmUpMs) / 4);
      }
      await sleep(1_000);
    }
    const writeReport = await writes.stop();
    await stopReaders();
    await stopSubscribers();
    await sleep(2_000); // let closed sockets and finished requests be released
    const heapAtEnd = await probe.heapAfterGc();
    const elapsedS = (Date.now() - started) / 1000;

    for (const [code, n] of Object.entries(writeReport.errors)) counters.errors[`command:${code}`] = n;
    if (writeReport.unanswered > 0) counters.errors['command:unanswered'] = writeReport.unanswered;
    const requests = writeReport.acknowledged.length + counters.queries + Object.values(counters.errors).reduce((a, b) => a + b, 0);
    const errorCount = Object.values(counters.errors).reduce((a, b) => a + b, 0);
    const heapAfterWarmUp = heap[0]?.bytes ?? heapAtEnd;
    const half = Math.floor(rss.length / 2);
    const result = {
      seconds: Math.round(elapsedS),
      commands: writeReport.acknowledged.length,
      commandsPerSecond: Math.round(writeReport.acknowledged.length / elapsedS),
      queries: counters.queries,
      queriesPerSecond: Math.round(counters.queries / elapsedS),
      pushes: counters.pushes,
      subscriptionsOpened: counters.subscriptionsOpened,
      errors: counters.errors,
      errorRate: requests === 0 ? 0 : errorCount / requests,
      heapAfterGcMb: {
        samples: heap.map((h) => mb(h.bytes)),
        afterWarmUp: mb(heapAfterWarmUp),
        atEnd: mb(heapAtEnd),
        growth: mb(heapAtEnd - heapAfterWarmUp),
        limit: maxHeapGrowthMb,
      },
      rssMb: {
        firstHalfMedian: mb(median(rss.slice(0, half).map((r) => r.bytes))),
        secondHalfMedian: mb(median(rss.slice(half).map((r) => r.bytes))),
        max: mb(Math.max(...rss.map((r) => r.bytes))),
      },
      problems: [] as string[],
    };
    if (errorCount > 0) result.problems.push(`${errorCount} unexpected errors: ${JSON.stringify(counters.errors)}`);
    if (writeReport.acknowledged.length === 0 || counters.queries === 0 || counters.pushes === 0)
      result.problems.push('some part of the load made no progress');
    if (heapAtEnd - heapAfterWarmUp > maxHeapGrowthMb * 1024 * 1024)
      result.problems.push(`heap after GC grew by ${mb(heapAtEnd - heapAfterWarmUp)} MB (limit ${maxHeapGrowthMb} MB)`);
    console.log(`SOAK RESULT ${JSON.stringify(result)}`);
    failed = result.problems.length > 0;
  } finally {
    await cleanUp();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => failAndCleanUp('error', error));
