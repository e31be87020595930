import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { signAccessToken } from '../src/auth/tokens.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import { startBenchProcess, type BenchProcess } from './lib/processes.js';

const JWT_SECRET = 'benchmark-secret-benchmark-secret-0123456789';
const DATA_KEY_SECRET = 'benchmark-data-key-secret-0123456789-abcdef';
const SKU = 'FANOUT-1';
const INITIAL_STOCK = 1_000;
const SUBSCRIPTION = `subscription { inventoryChanged(sku: "${SKU}") { sku onHand reserved available } }`;
const RESTOCK = `mutation { restockProduct(input: {sku: "${SKU}", quantity: 1}) { __typename ... on RestockProductSuccess { product { onHand } } ... on Error { message } } }`;
/** Clients being opened at once (connect, connection_init, subscribe, first payload). */
const OPEN_CONCURRENCY = 200;
const OPEN_TIMEOUT_MS = 30_000;
/** How long one change may take to reach every subscriber before its stragglers count as missing. */
const DELIVERY_TIMEOUT_MS = 30_000;
const NEXT = Buffer.from('"type":"next"');
const ERRORS = Buffer.from('"errors"');

/**
 * N subscribers speaking graphql-transport-ws over bare `ws` sockets (much lighter than N graphql-ws
 * client objects): connection_init with the token, subscribe once acked, and from then on count
 * `next` messages with a byte search (JSON is parsed only while a latency hook is set).
 */
interface Fleet {
  size: number;
  /** `next` messages received after each client's first (current-state) payload. */
  delivered: number;
  /** Error/complete messages, payloads with errors, sockets closed by the server. */
  problems: string[];
  /** Called with the receipt time for every `next` after the first (latency measurements only). */
  onNext?: (client: number, data: Buffer, at: number) => void;
  /** onHand of the first payload, as every client saw it. */
  initialOnHand: Set<number>;
  /** Each client's latest `next` message (parsed only at the end of a throughput run). */
  lastNext: (Buffer | undefined)[];
  close(): Promise<void>;
}

/** Sockets this benchmark is closing (a close it did not ask for is a problem). */
const closedByUs = new WeakSet<WebSocket>();

function openClient(fleet: Fleet, sockets: WebSocket[], index: number, wsUrl: string, token: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false });
    sockets[index] = socket;
    let opened = false;
    const timer = setTimeout(() => fail(new Error(`client ${index} got no first payload within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      if (!opened) {
        opened = true;
        socket.terminate();
        reject(error);
      }
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      if (data.indexOf(NEXT) !== -1 && data.indexOf(ERRORS) === -1) {
        if (!opened) {
          opened = true;
          clearTimeout(timer);
          fleet.initialOnHand.add((JSON.parse(String(data)) as any).payload.data.inventoryChanged.onHand as number);
          resolve();
          return;
        }
        fleet.delivered++;
        fleet.lastNext[index] = data;
        fleet.onNext?.(index, data, at);
        return;
      }
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
      else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      else if (message.type !== 'pong') {
        const problem = `client ${index}: ${String(data).slice(0, 300)}`;
        if (opened) fleet.problems.push(problem);
        else fail(new Error(problem));
      }
    });
    socket.on('error', (error) => (opened ? fleet.problems.push(`client ${index}: ${error.message}`) : fail(error)));
    socket.on('close', (code, reason) => {
      if (!opened) fail(new Error(`client ${index} closed before its first payload: ${code} ${String(reason)}`));
      else if (!closedByUs.has(socket)) fleet.problems.push(`client ${index} closed by the server: ${code} ${String(reason)}`);
    });
  });
}

/** Opens `size` subscribed clients (OPEN_CONCURRENCY at a time) and waits for every first payload. */
async function openFleet(wsUrl: string, token: string, size: number): Promise<Fleet> {
  const sockets: WebSocket[] = [];
  const fleet: Fleet = {
    size,
    delivered: 0,
    problems: [],
    initialOnHand: new Set(),
    lastNext: [],
    close: () => closeSockets(sockets),
  };
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(OPEN_CONCURRENCY, size) }, async () => {
      while (next < size && failure === undefined) {
        try {
          await openClient(fleet, sockets, next++, wsUrl, token);
        } catch (error) {
          failure ??= error;
        }
      }
    }),
  );
  if (failure !== undefined) {
    await closeSockets(sockets);
    throw failure;
  }
  return fleet;
}

/** Closes every socket with a normal close, and terminates those not closed within 10 s. */
async function closeSockets(sockets: WebSocket[]): Promise<void> {
  const pending = sockets.filter((s) => s && s.readyState !== WebSocket.CLOSED);
  await Promise.all(
    pending.map(
      (socket) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            socket.terminate();
            resolve();
          }, 10_000);
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          closedByUs.add(socket);
          if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
          else socket.close(1000);
        }),
    ),
  );
}

/** One change: the trigger's HTTP response (and the onHand it produced). */
type Trigger = () => Promise<number>;

function ours(server: BenchProcess, token: string): Trigger {
  return async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: RESTOCK }),
    });
    const body = (await response.json()) as { data?: { restockProduct?: { __typename: string; product?: { onHand: number } } } };
    const result = body.data?.restockProduct;
    if (result?.__typename !== 'RestockProductSuccess' || !result.product)
      throw new Error(`restockProduct failed: ${JSON.stringify(body)}`);
    return result.product.onHand;
  };
}

function bare(server: BenchProcess): Trigger {
  const url = server.url.replace(/\/graphql$/, '/broadcast');
  return async () => {
    const response = await fetch(url, { method: 'POST' });
    return ((await response.json()) as { onHand: number }).onHand;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]! : NaN;
}

interface LatencyRun {
  p50: number;
  p99: number;
  max: number;
  receipts: number;
  missing: number;
  /** Receipts the client handled before the trigger's response (counted as 0 ms). */
  early: number;
  problems: string[];
}

/**
 * `changes` triggers, one at a time: each waits until every subscriber has the payload with the
 * new onHand (or DELIVERY_TIMEOUT_MS), then latency = receipt time - time the trigger's HTTP
 * response was read, all in this process's clock.
 */
async function measureLatency(fleet: Fleet, trigger: Trigger, changes: number): Promise<LatencyRun> {
  const { size } = fleet;
  if (fleet.initialOnHand.size !== 1) throw new Error(`subscribers saw different first states: ${[...fleet.initialOnHand].join(', ')}`);
  let onHand = [...fleet.initialOnHand][0]!;
  const latencies: number[] = [];
  let missing = 0;
  let early = 0;
  const receipts = new Float64Array(size);
  await settleCore0();
  for (let change = 0; change < changes; change++) {
    const expected = onHand + 1;
    receipts.fill(NaN);
    let received = 0;
    let allReceived: () => void = () => {};
    const everyone = new Promise<void>((resolve) => (allReceived = resolve));
    fleet.onNext = (client, data, at) => {
      const value = (JSON.parse(String(data)) as any).payload.data.inventoryChanged.onHand as number;
      if (value === expected && Number.isNaN(receipts[client]!)) {
        receipts[client] = at;
        if (++received === size) allReceived();
      }
    };
    const produced = await trigger();
    const respondedAt = performance.now();
    if (produced !== expected) throw new Error(`the trigger produced onHand ${produced}, expected ${expected}: another writer?`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([everyone, new Promise<void>((resolve) => (timer = setTimeout(resolve, DELIVERY_TIMEOUT_MS)))]);
    clearTimeout(timer);
    fleet.onNext = undefined;
    for (const at of receipts) {
      if (Number.isNaN(at)) missing++;
      else if (at < respondedAt) {
        early++;
        latencies.push(0);
      } else latencies.push(at - respondedAt);
    }
    onHand = expected;
    await new Promise((r) => setTimeout(r, 20));
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
    receipts: latencies.length,
    missing,
    early,
    problems: [...fleet.problems],
  };
}

/** Opens `size` subscribers, runs `measure` on them, and closes them. */
async function withFleet<T>(wsUrl: string, token: string, size: number, measure: (fleet: Fleet) => Promise<T>): Promise<T> {
  const fleet = await openFleet(wsUrl, token, size);
  try {
    return await measure(fleet);
  } finally {
    await fleet.close();
  }
}

/** Busy and total jiffies of core 0 (where both servers are pinned), from /proc/stat; 0/0 elsewhere. */
function core0Times(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('cpu0 '));
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line!.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
    const total = user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!;
    return { busy: total - idle! - iowait!, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * Waits (at most `limitMs`) until core 0 is mostly idle, so one server's leftover work (closing
 * thousands of subscriptions) does not land in the other's measurement on the same core.
 */
async function settleCore0(limitMs = 20_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    const before = core0Times();
    await new Promise((r) => setTimeout(r, 250));
    const after = core0Times();
    if (after.total === before.total || (after.busy - before.busy) / (after.total - before.total) < 0.2) return;
  }
}

interface ThroughputRun {
  /** Messages received by all clients per second while the triggers ran. */
  rate: number;
  triggers: number;
  /** Messages received in total, including those that arrived after the triggers stopped. */
  delivered: number;
  /** How long delivery went on after the last trigger (to within 100 ms). */
  drainMs: number;
  /** CPU this process (subscribers + trigger client) used while the triggers ran, in cores. */
  clientCores: number;
  /** Share of core 0 (the server's core) that was busy while the triggers ran. */
  serverCoreBusy: number;
  /** Subscribers whose last message did not carry the final onHand once delivery stopped. */
  stale: number;
  problems: string[];
}

/**
 * Triggers changes back to back from one HTTP client for `durationMs` and counts the `next`
 * messages every subscriber received meanwhile; then waits (bounded) for the rest to arrive.
 */
async function measureThroughput(fleet: Fleet, trigger: Trigger, durationMs: number, drainLimitMs: number): Promise<ThroughputRun> {
  const { size } = fleet;
  const deliveredBefore = fleet.delivered;
  const problemsBefore = fleet.problems.length;
  await settleCore0();
  const cpuBefore = process.cpuUsage();
  const coreBefore = core0Times();
  const started = performance.now();
  let triggers = 0;
  let finalOnHand = NaN;
  while (performance.now() - started < durationMs) {
    finalOnHand = await trigger();
    triggers++;
  }
  const elapsedMs = performance.now() - started;
  const rate = (fleet.delivered - deliveredBefore) / (elapsedMs / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const coreAfter = core0Times();
  const clientCores = (cpu.user + cpu.system) / 1000 / elapsedMs;
  const serverCoreBusy = (coreAfter.busy - coreBefore.busy) / (coreAfter.total - coreBefore.total || 1);
  // Then until every subscriber has the final state, 3 s pass without a message, or drainLimitMs.
  const stopped = performance.now();
  const staleCount = () => {
    let count = 0;
    for (let client = 0; client < size; client++) {
      const last = fleet.lastNext[client];
      if (!last || (JSON.parse(String(last)) as any).payload.data.inventoryChanged.onHand !== finalOnHand) count++;
    }
    return count;
  };
  let stale = staleCount();
  let seen = fleet.delivered;
  let lastChange = stopped;
  while (stale > 0 && performance.now() - lastChange < 3_000 && performance.now() - stopped < drainLimitMs) {
    await new Promise((r) => setTimeout(r, 100));
    if (fleet.delivered !== seen) {
      seen = fleet.delivered;
      lastChange = performance.now();
      stale = staleCount();
    }
  }
  return {
    rate,
    triggers,
    delivered: fleet.delivered - deliveredBefore,
    drainMs: lastChange - stopped,
    clientCores,
    serverCoreBusy,
    stale,
    problems: fleet.problems.slice(problemsBefore),
  };
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
const n = (value: number) => value.toLocaleString('en-US');
const pct = (share: number) => `${(share * 100).toFixed(0)} %`;

/**
 * Subscription fan-out: `inventoryChanged(sku)` on our server (graphql-ws over Yoga's envelop, the
 * live feed, one read per subscriber per change) vs a bare `ws` server that writes one
 * pre-serialised message to every socket (bench/baseline/bareWsBroadcast.ts). Both run as their own
 * process pinned to core 0; the subscribers and the trigger client run in this process.
 * Latency (trigger response -> receipt, p50/p99, one change at a time) at 1,000 and at 5,000
 * subscribers, and delivered messages/s at 5,000 subscribers with triggers sent back to back by
 * one HTTP client (on the same 5,000 subscribers, after their latency run).
 */
export async function runFanoutBench(): Promise<string[]> {
  const { quick, runs, durationMs } = benchOptions();
  const latencySubscribers = quick ? 200 : 1_000;
  const latencyChanges = quick ? 5 : 20;
  const throughputSubscribers = quick ? 500 : 5_000;
  const largeLatencyChanges = quick ? 5 : 10;
  const drainLimitMs = quick ? 5_000 : 15_000;
  const server = await startBenchServer();
  const processes: BenchProcess[] = [];
  try {
    const databaseUrl = await createMigratedDatabase(server, 'bench_fanout');
    const oursProcess = await startBenchProcess(
      'src/main.ts',
      {
        DATABASE_URL: databaseUrl,
        JWT_SECRET,
        DATA_KEY_SECRET,
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
        // Opening thousands of subscriptions on a loaded 2-core machine can hold the heartbeat past
        // its production bound, which then refuses subscribes as DATABASE_UNAVAILABLE mid-setup.
        DB_HEARTBEAT_TIMEOUT_MS: '10000',
        // Every subscriber connects from this one address: the cap on sockets per address is for clients.
        WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      },
      'Ordersource is listening',
      0,
    );
    processes.push(oursProcess);
    const bareProcess = await startBenchProcess(
      'bench/baseline/bareWsBroadcast.ts',
      { BARE_SKU: SKU, BARE_ON_HAND: String(INITIAL_STOCK) },
      'Bare ws broadcast is listening',
      0,
    );
    processes.push(bareProcess);
    const token = await signAccessToken({ sub: 'bench', role: 'staff' }, { secret: JWT_SECRET, isDevelopmentSecret: false });
    const oursWs = oursProcess.url.replace(/^http/, 'ws');
    const bareWs = bareProcess.url.replace(/^http/, 'ws');

    const seeded = await fetch(oursProcess.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { addProduct(input: {sku: "${SKU}", name: "Fan-out", priceCents: 100, initialStock: ${INITIAL_STOCK}}) { __typename } }`,
      }),
    });
    const seededBody = (await seeded.json()) as { data?: { addProduct?: { __typename: string } } };
    if (seededBody.data?.addProduct?.__typename !== 'AddProductSuccess')
      throw new Error(`addProduct failed: ${JSON.stringify(seededBody)}`);
    // The product must be in the read table before anyone subscribes (the first payload is read from it).
    for (let i = 0; i < 100; i++) {
      const probe = await fetch(oursProcess.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ product(sku: "${SKU}") { onHand } }` }),
      });
      if (((await probe.json()) as { data?: { product?: unknown } }).data?.product) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const notes: string[] = [];
    const note = (line: string) => {
      notes.push(line);
      console.log(line);
    };
    const problemsOf = (what: string, problems: string[]) => {
      if (problems.length) note(`- ${what}: ${problems.length} problem(s), first: ${problems[0]}`);
    };
    const latencyText = (r: LatencyRun) =>
      `p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} over ${n(r.receipts)} receipts (${r.missing} missing, ${r.early} before the response)`;
    const throughputText = (r: ThroughputRun, triggers: string) =>
      `${formatRate(r.rate)} msgs/s from ${n(r.triggers)} ${triggers}; ${n(r.delivered)} of ${n(r.triggers * throughputSubscribers)} possible messages delivered, ` +
      `the last ${ms(r.drainMs)} after the last trigger; ${r.stale} subscribers without the final state; core 0 ${pct(r.serverCoreBusy)} busy, subscribers' process ${pct(r.clientCores)} of a core`;

    // Warm-up (not measured): JIT, connection pools and the first subscriptions on both servers.
    await withFleet(oursWs, token, latencySubscribers, (fleet) => measureLatency(fleet, ours(oursProcess, token), 3));
    await withFleet(bareWs, token, latencySubscribers, (fleet) => measureLatency(fleet, bare(bareProcess), 3));

    const oursLatency: LatencyRun[] = [];
    const bareLatency: LatencyRun[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const o = await withFleet(oursWs, token, latencySubscribers, (fleet) =>
        measureLatency(fleet, ours(oursProcess, token), latencyChanges),
      );
      const b = await withFleet(bareWs, token, latencySubscribers, (fleet) => measureLatency(fleet, bare(bareProcess), latencyChanges));
      oursLatency.push(o);
      bareLatency.push(b);
      console.log(
        `latency run ${run + 1} (${((performance.now() - started) / 1000).toFixed(1)} s): ours ${latencyText(o)}; bare ${latencyText(b)}`,
      );
      problemsOf(`latency run ${run + 1}, ours`, o.problems);
      problemsOf(`latency run ${run + 1}, bare`, b.problems);
    }

    // At the larger size, each fleet first measures latency (changes one at a time), then throughput.
    const oursThroughput: ThroughputRun[] = [];
    const bareThroughput: ThroughputRun[] = [];
    const oursLargeLatency: LatencyRun[] = [];
    const bareLargeLatency: LatencyRun[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const both = (fleet: Fleet, trigger: Trigger) =>
        measureLatency(fleet, trigger, largeLatencyChanges).then(async (latency) => ({
          latency,
          throughput: await measureThroughput(fleet, trigger, durationMs, drainLimitMs),
        }));
      const o = await withFleet(oursWs, token, throughputSubscribers, (fleet) => both(fleet, ours(oursProcess, token)));
      const b = await withFleet(bareWs, token, throughputSubscribers, (fleet) => both(fleet, bare(bareProcess)));
      oursThroughput.push(o.throughput);
      bareThroughput.push(b.throughput);
      oursLargeLatency.push(o.latency);
      bareLargeLatency.push(b.latency);
      console.log(
        `${n(throughputSubscribers)} subscribers, run ${run + 1} (${((performance.now() - started) / 1000).toFixed(1)} s): latency ours ${latencyText(o.latency)}; bare ${latencyText(b.latency)}; throughput ours ${throughputText(o.throughput, 'mutations')}; bare ${throughputText(b.throughput, 'broadcasts')}`,
      );
      problemsOf(`latency run ${run + 1} at ${n(throughputSubscribers)}, ours`, o.latency.problems);
      problemsOf(`latency run ${run + 1} at ${n(throughputSubscribers)}, bare`, b.latency.problems);
      problemsOf(`throughput run ${run + 1}, ours`, o.throughput.problems);
      problemsOf(`throughput run ${run + 1}, bare`, b.throughput.problems);
    }

    const byRate = (runs: ThroughputRun[]) => [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)]!;
    note(
      `- ${n(latencySubscribers)} subscribers, ${latencyChanges} changes a run; median run by p99, ours: ${latencyText([...oursLatency].sort((a, b) => a.p99 - b.p99)[Math.floor(runs / 2)]!)}; bare: ${latencyText([...bareLatency].sort((a, b) => a.p99 - b.p99)[Math.floor(runs / 2)]!)}.`,
    );
    note(
      `- ${n(throughputSubscribers)} subscribers, ${largeLatencyChanges} changes a run; median run by p99, ours: ${latencyText([...oursLargeLatency].sort((a, b) => a.p99 - b.p99)[Math.floor(runs / 2)]!)}; bare: ${latencyText([...bareLargeLatency].sort((a, b) => a.p99 - b.p99)[Math.floor(runs / 2)]!)}.`,
    );
    note(
      `- ${n(throughputSubscribers)} subscribers, median run, ours: ${throughputText(byRate(oursThroughput), 'restock mutations')}; bare: ${throughputText(byRate(bareThroughput), 'broadcasts')}.`,
    );
    const lo50 = median(oursLatency.map((r) => r.p50));
    const lb50 = median(bareLatency.map((r) => r.p50));
    const lo99 = median(oursLatency.map((r) => r.p99));
    const lb99 = median(bareLatency.map((r) => r.p99));
    const Lo50 = median(oursLargeLatency.map((r) => r.p50));
    const Lb50 = median(bareLargeLatency.map((r) => r.p50));
    const Lo99 = median(oursLargeLatency.map((r) => r.p99));
    const Lb99 = median(bareLargeLatency.map((r) => r.p99));
    const to = median(oursThroughput.map((r) => r.rate));
    const tb = median(bareThroughput.map((r) => r.rate));
    const subs = (count: number) => `${n(count)} subscribers`;
    return [
      '| scenario | ours | bare ws | ours / bare |',
      '|---|---|---|---|',
      `| change -> subscriber latency p50, ${subs(latencySubscribers)} | ${ms(lo50)} | ${ms(lb50)} | ${(lo50 / lb50).toFixed(1)}x |`,
      `| change -> subscriber latency p99, ${subs(latencySubscribers)} | ${ms(lo99)} | ${ms(lb99)} | ${(lo99 / lb99).toFixed(1)}x |`,
      `| change -> subscriber latency p50, ${subs(throughputSubscribers)} | ${ms(Lo50)} | ${ms(Lb50)} | ${(Lo50 / Lb50).toFixed(1)}x |`,
      `| change -> subscriber latency p99, ${subs(throughputSubscribers)} | ${ms(Lo99)} | ${ms(Lb99)} | ${(Lo99 / Lb99).toFixed(1)}x |`,
      `| delivered messages/s, ${subs(throughputSubscribers)} | ${formatRate(to)} msgs/s | ${formatRate(tb)} msgs/s | ${(to / tb).toFixed(2)}x |`,
      '',
      ...notes,
    ];
  } finally {
    for (const started of processes.reverse()) await started.stop();
    await server.close();
  }
}
