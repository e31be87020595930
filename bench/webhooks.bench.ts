import pg from 'pg';
import { signAccessToken } from '../src/auth/tokens.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { benchPostmasters, coresUsed } from './lib/cpu.js';
import { startBarePoster } from './lib/barePosterProcess.js';
import { BenchReceiver } from './lib/benchReceiver.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import {
  addItemBodies,
  authHeaders,
  BUSY_MACHINE,
  createOrders,
  JWT_SECRET,
  post,
  seedCatalog,
  staffToken,
  startOurDeployment,
  startOurServer,
} from './lib/servers.js';
import { count } from './mutation.bench.js';

const SKU = 'HOOK-1';
const CONCURRENCIES = [1, 8, 64];
const ENV = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', REACTION_CONCURRENCY: '64', ...BUSY_MACHINE };
const ITEM_TYPES = ['ordersource.order.item_added.v1'];
const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { ... on CreateWebhookEndpointSuccess { secret endpoint { id } } } }`;
const LAG = '{ webhookEndpoints { id enabled lag } }';
/** addItems per second offered for the steady rows: well within what the 2-core machine serves with ten endpoints. */
const STEADY_RATE = 200;
const UNDELIVERED = `SELECT count(*) AS n FROM reaction_deliveries WHERE status <> 'DELIVERED'`;
const ITEMS_ADDED = `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`;

const adminToken = () => signAccessToken({ sub: 'bench-admin', role: 'admin' }, { secret: JWT_SECRET, isDevelopmentSecret: false });
const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 300_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('benchmark condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
/** Vacuums the deliveries' tables and waits until no autovacuum worker runs on the server. */
async function settleVacuum(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE) reaction_deliveries, reaction_attempts');
    await until(async () => (await client.query(`SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`)).rowCount === 0);
  } finally {
    await client.end();
  }
}
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

/**
 * Webhooks: (1) deliveries/s from a backlog of `addItem` messages spread over 1, 8 and 64 orders
 * (the endpoint is held back with a 410, the backlog built, then the endpoint enabled and timed until
 * the receiver has every message), beside a bare undici loop posting the same signed bodies at the
 * same concurrency (one loop per order, each in order) to the same receiver, from a process of its
 * own on our server's core; (2) commit-to-receipt
 * latency on a quiet endpoint (receipt time minus the CloudEvent's `time`, the commit's clock);
 * (3) `addItem` throughput over HTTP with 0, 1 and 10 endpoints configured (each its own database),
 * with the deliveries in the command server (one process, as `npm start` runs) and in a process of
 * their own (as a production deployment would run them).
 */
export async function runWebhooksBench(): Promise<string[]> {
  const { runs, durationMs, quick } = benchOptions();
  // At most 448 messages an order (under the 500 draft changes one order takes) and 3,584 in all
  // (divisible by 8 and 64): long enough a drain that its rate, not the few milliseconds from the
  // enable to the first delivery, is what the row measures.
  const messagesFor = (orders: number) => Math.min((quick ? 128 : 448) * orders, quick ? 1_024 : 3_584);
  const server = await startBenchServer();
  const receiver = await new BenchReceiver().start();
  const processes: BenchProcess[] = [];
  const [staff, admin] = [await staffToken(), await adminToken()];
  const lines: string[] = [];
  try {
    // (1) Throughput from a backlog.
    const url = await createMigratedDatabase(server, 'bench_webhooks_throughput');
    const ours = await startOurServer(url, { cpu: 0, env: ENV });
    processes.push(ours);
    const customerId = await seedCatalog(ours.url, staff, SKU);
    // The bare loop runs where our server does (core 0), in a process of its own as ours is.
    const barePoster = await startBarePoster(0);
    for (const concurrency of CONCURRENCIES) {
      const messages = messagesFor(concurrency);
      const rates: number[] = [];
      const firsts: number[] = [];
      const bare: number[] = [];
      for (let run = 0; run < runs; run++) {
        const path = `/c${concurrency}-r${run}`;
        receiver.gone.add(path);
        const created = (await post(ours.url, admin, CREATE, { input: { url: receiver.url(path), eventTypes: ITEM_TYPES } })).data
          .createWebhookEndpoint;
        const orderIds = Array.from({ length: concurrency }, (_, i) => `hook-${concurrency}-${run}-${i}`);
        await createOrders(ours.url, staff, customerId, orderIds);
        // A first message, refused with 410, disables the endpoint: the rest piles up behind it.
        await post(ours.url, staff, `mutation { addItem(input: {orderId: "${orderIds[0]}", sku: "${SKU}", quantity: 1}) { __typename } }`);
        const endpoint = async () =>
          (await post(ours.url, admin, LAG)).data.webhookEndpoints.find((e: any) => e.id === created.endpoint.id);
        await until(async () => !(await endpoint()).enabled);
        await Promise.all(
          orderIds.map(async (orderId, i) => {
            for (let n = i === 0 ? 1 : 0; n < messages / concurrency; n++)
              await post(
                ours.url,
                staff,
                `mutation { addItem(input: {orderId: "${orderId}", sku: "${SKU}", quantity: 1}) { __typename } }`,
              );
          }),
        );
        await until(async () => (await endpoint()).lag === messages);
        receiver.gone.delete(path);
        const started = Date.now();
        await post(ours.url, admin, `mutation { enableWebhookEndpoint(input: {endpointId: "${created.endpoint.id}"}) { __typename } }`);
        await until(() => receiver.received(path).length === messages);
        rates.push(messages / ((receiver.received(path).at(-1)!.at - started) / 1000));
        firsts.push(receiver.received(path)[0]!.at - started);
        await post(ours.url, admin, `mutation { deleteWebhookEndpoint(input: {endpointId: "${created.endpoint.id}"}) { __typename } }`);

        // The same signed bodies, posted by a bare loop per order.
        const byOrder = new Map<string, string[]>();
        for (const r of receiver.received(path)) {
          const subject = (JSON.parse(r.body) as { subject: string }).subject;
          byOrder.set(subject, [...(byOrder.get(subject) ?? []), r.body]);
        }
        const bareMs = await barePoster.post({
          url: receiver.url(`${path}-bare`),
          secrets: [created.secret],
          streams: [...byOrder.values()].map((bodies) => bodies.map((body) => ({ id: (JSON.parse(body) as { id: string }).id, body }))),
        });
        bare.push(messages / (bareMs / 1000));
      }
      const [r, b] = [median(rates), median(bare)];
      lines.push(
        `| deliveries from a backlog of ${messages} over ${concurrency} order(s) | ${formatRate(r)}/s (the first ${median(firsts)} ms after the enabling) | ${formatRate(b)}/s | ${(r / b).toFixed(2)}x | goal >= 0.8x: ${r / b >= 0.8 ? 'met' : 'missed'} |`,
      );
      console.log(lines.at(-1));
    }
    await barePoster.stop();

    // (2) Commit-to-receipt on a quiet endpoint.
    const quietPath = '/quiet';
    await post(ours.url, admin, CREATE, { input: { url: receiver.url(quietPath), eventTypes: ITEM_TYPES } });
    const quietOrder = `hook-quiet`;
    await createOrders(ours.url, staff, customerId, [quietOrder]);
    const samples = quick ? 50 : 200;
    for (let i = 0; i < samples; i++) {
      await post(ours.url, staff, `mutation { addItem(input: {orderId: "${quietOrder}", sku: "${SKU}", quantity: 1}) { __typename } }`);
      await until(() => receiver.received(quietPath).length === i + 1, 30_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const latencies = receiver.received(quietPath).map((r) => r.at - Date.parse((JSON.parse(r.body) as { time: string }).time));
    lines.push(
      `| commit-to-receipt on a quiet endpoint (${samples} addItems one at a time) | p50 ${percentile(latencies, 50)} ms | p99 ${percentile(latencies, 99)} ms | | goal p99 < 100 ms: ${percentile(latencies, 99) < 100 ? 'met' : 'missed'} |`,
    );
    console.log(lines.at(-1));
    await ours.stop();
    processes.pop();

    // (3) addItem with 0, 1 and 10 endpoints.
    lines.push(...(await addItemOverhead(server, receiver, processes, { runs, durationMs, staff, admin })));
  } finally {
    for (const p of processes) await p.stop();
    await receiver.stop();
    await server.close();
  }
  return ['| scenario | ours | bare undici / other | ratio | goal |', '|---|---|---|---|---|', ...lines];
}

/**
 * `addItem` at 16 connections with 0, 1 and 10 endpoints, in two deployments: deliveries in the
 * command server (one process, as `npm start` runs) and deliveries in a process of their own
 * (command server with PROJECTIONS leaving out `reactions`, a second, unpinned process with
 * `PROJECTIONS=reactions`). Each setup has its own database; runs alternate between setups.
 */
async function addItemOverhead(
  server: Awaited<ReturnType<typeof startBenchServer>>,
  receiver: BenchReceiver,
  processes: BenchProcess[],
  options: { runs: number; durationMs: number; staff: string; admin: string },
): Promise<string[]> {
  const load = await startLoadGenerator(1);
  try {
    type Setup = {
      apart: boolean;
      endpoints: number;
      url: string;
      process: BenchProcess;
      deliverer?: BenchProcess;
      customerId: string;
      rates: number[];
      cores: number[];
      delivererCores: number[];
      /** At the steady rate: command server CPU per mutation (ms) and mean latency (ms). */
      steadyCpuMs: number[];
      steadyLatencyMs: number[];
      /** The same with the delivering process paused: command server CPU per mutation (ms). */
      pausedCpuMs: number[];
    };
    const setups: Setup[] = [];
    for (const apart of [false, true])
      for (const endpoints of [0, 1, 10]) {
        const url = await createMigratedDatabase(server, `bench_webhooks_additem_${apart ? 'apart_' : ''}${endpoints}`);
        const { server: process, deliverer } = await startOurDeployment(url, ENV, apart);
        processes.push(process, ...(deliverer ? [deliverer] : []));
        const customerId = await seedCatalog(process.url, options.staff, SKU);
        for (let e = 0; e < endpoints; e++)
          await post(process.url, options.admin, CREATE, { input: { url: receiver.url(`/load-${apart}-${endpoints}-${e}`) } });
        setups.push({
          apart,
          endpoints,
          url,
          process,
          deliverer,
          customerId,
          rates: [],
          cores: [],
          delivererCores: [],
          steadyCpuMs: [],
          steadyLatencyMs: [],
          pausedCpuMs: [],
        });
      }
    for (let run = 0; run < options.runs; run++)
      for (const s of setups) {
        const orderIds = Array.from({ length: 64 }, (_, i) => `load-${run}-${i}`);
        await createOrders(s.process.url, options.staff, s.customerId, orderIds);
        const before = await count(s.url, ITEMS_ADDED);
        const { result, cores } = await coresUsed([[s.process.pid], s.deliverer ? [s.deliverer.pid] : [], benchPostmasters()], () =>
          runLoad(load, {
            targets: [{ url: s.process.url, bodies: addItemBodies(orderIds, SKU).ours }],
            headers: authHeaders(options.staff),
            connections: 16,
            durationMs: options.durationMs,
          }),
        );
        s.rates.push(((await count(s.url, ITEMS_ADDED)) - before) / result.seconds);
        s.cores.push(cores[0]!);
        s.delivererCores.push(cores[1]!);
        if (!s.apart) continue;
        // The same mutations offered at a steady rate the machine keeps up with: what each costs
        // the command server when the deliveries run elsewhere, with the machine not saturated.
        const atSteadyRate = async () => {
          const { result, cores } = await coresUsed([[s.process.pid]], () =>
            runLoad(load, {
              targets: [{ url: s.process.url, bodies: addItemBodies(orderIds, SKU).ours }],
              headers: authHeaders(options.staff),
              connections: 16,
              durationMs: options.durationMs,
              ratePerSecond: STEADY_RATE,
            }),
          );
          return { cpuMs: (1000 * cores[0]!) / (result.ok / result.seconds), latencyMs: result.latencyMeanMs };
        };
        // The saturating run's deliveries first: they would otherwise still be going out.
        await until(async () => (await count(s.url, UNDELIVERED)) === 0);
        const steady = await atSteadyRate();
        s.steadyCpuMs.push(steady.cpuMs);
        s.steadyLatencyMs.push(steady.latencyMs);
        // Again with the delivering process paused (SIGSTOP): the command path's own cost of the
        // endpoints, apart from what the deliveries' work on the other core does to this one's
        // speed (on this machine a memory-heavy process on one core slows the other by up to 75 %).
        // Vacuumed first, and no autovacuum running: it would be the other core's memory-heavy work.
        await settleVacuum(s.url);
        process.kill(s.deliverer!.pid, 'SIGSTOP');
        try {
          s.pausedCpuMs.push((await atSteadyRate()).cpuMs);
        } finally {
          process.kill(s.deliverer!.pid, 'SIGCONT');
        }
        await until(async () => (await count(s.url, UNDELIVERED)) === 0);
      }
    // CPU of a process per mutation: what the deliveries cost the core the commands run on, and
    // (apart) what they cost the process that makes them.
    const cpuMs = (rates: number[], cores: number[]) => (1000 * median(cores)) / median(rates);
    const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
    const steadyRows = setups
      .filter((s) => s.apart && s.endpoints > 0)
      .flatMap((s) => {
        const none = setups.find((n) => n.apart && n.endpoints === 0)!;
        const [cpu, noneCpu] = [median(s.steadyCpuMs), median(none.steadyCpuMs)];
        const extra = (cpu / noneCpu - 1) * 100;
        const [paused, nonePaused] = [median(s.pausedCpuMs), median(none.pausedCpuMs)];
        const pausedExtra = (paused / nonePaused - 1) * 100;
        return [
          `| addItem at a steady ${STEADY_RATE}/s, ${s.endpoints} endpoint(s) vs none, deliveries in a process of their own: command server CPU per mutation | ${cpu.toFixed(3)} ms (mean latency ${median(s.steadyLatencyMs).toFixed(2)} ms) | ${noneCpu.toFixed(3)} ms (${median(none.steadyLatencyMs).toFixed(2)} ms) | ${signed(extra)} % | goal < 5 %: ${extra < 5 ? 'met' : 'missed'} |`,
          `| the same, the delivering process paused: the command path's own cost of ${s.endpoints} endpoint(s) | ${paused.toFixed(3)} ms | ${nonePaused.toFixed(3)} ms | ${signed(pausedExtra)} % | goal < 5 %: ${pausedExtra < 5 ? 'met' : 'missed'} |`,
        ];
      });
    steadyRows.forEach((line) => console.log(line));
    return [
      ...setups
        .filter((s) => s.endpoints > 0)
        .map((s) => {
          const none = setups.find((n) => n.apart === s.apart && n.endpoints === 0)!;
          const [rate, noneRate] = [median(s.rates), median(none.rates)];
          const overhead = (1 - rate / noneRate) * 100;
          const [cpu, noneCpu] = [cpuMs(s.rates, s.cores), cpuMs(none.rates, none.cores)];
          const cpuOverhead = (cpu / noneCpu - 1) * 100;
          const where = s.apart ? 'deliveries in a process of their own' : 'deliveries in the command server';
          const deliverer = s.apart ? `; delivering process ${cpuMs(s.rates, s.delivererCores).toFixed(2)} ms` : '';
          const line = `| addItem over HTTP, 16 connections, ${s.endpoints} endpoint(s) vs none, ${where} | ${formatRate(rate)} mutations/s (command server CPU ${cpu.toFixed(2)} ms each${deliverer}) | ${formatRate(noneRate)} mutations/s (${noneCpu.toFixed(2)} ms) | ${(rate / noneRate).toFixed(2)}x (${overhead.toFixed(1)} % slower; command server CPU per mutation ${cpuOverhead >= 0 ? '+' : ''}${cpuOverhead.toFixed(1)} %) | goal < 5 %: ${overhead < 5 ? 'met' : 'missed'} |`;
          console.log(line);
          return line;
        }),
      ...steadyRows,
    ];
  } finally {
    await load.stop();
  }
}
