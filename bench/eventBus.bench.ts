import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { readBusStream } from '../tests/support/busStream.js';
import { startNatsServer, type NatsServer } from '../tests/support/natsServer.js';
import { createMigratedDatabase, startBenchServer } from './lib/benchDatabase.js';
import { startBareBusPublisher, type BareBusPublisher } from './lib/bareBusPublisherProcess.js';
import { benchPostmasters, coresUsed, cpuSeconds, processesMatching } from './lib/cpu.js';
import { runLoad, startLoadGenerator } from './lib/load.js';
import { benchOptions, formatRate, median } from './lib/measure.js';
import type { BenchProcess } from './lib/processes.js';
import { addItemBodies, authHeaders, createOrders, seedCatalog, staffToken, startOurDeployment } from './lib/servers.js';
import { count } from './mutation.bench.js';

const ORDERS = 64;
const CONNECTIONS = 16;
const SKU = 'BENCH-BUS';
const ITEMS_ADDED = `SELECT count(*) AS n FROM events WHERE type = 'ItemAdded'`;
/** What the bus may cost an `addItem`, and how close its publishing should come to a bare client's. */
const ADD_ITEM_GOAL = 0.95;
const PUBLISH_GOAL = 0.8;
/** The bare loop publishes with as many messages in flight as the reaction sends streams at once (REACTION_CONCURRENCY). */
const BARE_IN_FLIGHT = 8;
/** As many in flight as our server may have (64 streams, runs of 100 published at once). */
const DEEP_IN_FLIGHT = 6_400;

/**
 * The event bus: `addItem` (autocannon, 16 connections) on our server with EVENT_BUS_URL and without
 * (each its own database, pinned to core 0), with the deliveries in the server and in a process of
 * their own, CPU per mutation beside; and
 * how fast our reactions publish a backlog to JetStream (the bus target disabled while the load
 * wrote, then enabled: the rate between the first and last message JetStream stored) against a bare loop that
 * publishes the same bodies with the same client and `Nats-Msg-Id`, 8 in flight and one at a time, from a
 * process of its own pinned to the core our server is pinned to.
 */
export async function runEventBusBench(): Promise<string[]> {
  const { runs, durationMs } = benchOptions();
  const server = await startBenchServer();
  const load = await startLoadGenerator(1);
  const token = await staffToken();
  const nats: NatsServer = await startNatsServer();
  const natsApart: NatsServer = await startNatsServer();
  const processes: BenchProcess[] = [];
  const busOn = { EVENT_BUS_URL: nats.url, REACTION_RETRY_SCHEDULE: Array(20).fill('1s').join(',') };
  // The bus on and off, with the deliveries in the command server (one process, as `npm start` runs)
  // and in a process of their own (PROJECTIONS=reactions, unpinned) beside a command server that
  // leaves them out, as a production deployment would run them.
  const variants = [
    { name: 'bus off', database: 'bench_bus_off', env: {} as Record<string, string>, apart: false },
    { name: 'bus on', database: 'bench_bus_on', env: busOn as Record<string, string>, apart: false },
    { name: 'bus off, deliveries apart', database: 'bench_bus_off_apart', env: {} as Record<string, string>, apart: true },
    // A broker of its own, so that the backlog measured below holds only the first server's messages.
    {
      name: 'bus on, deliveries apart',
      database: 'bench_bus_on_apart',
      env: { ...busOn, EVENT_BUS_URL: natsApart.url } as Record<string, string>,
      apart: true,
    },
  ].map((v) => ({
    ...v,
    url: '',
    process: undefined as unknown as BenchProcess,
    deliverer: undefined as BenchProcess | undefined,
    customerId: '',
    rates: [] as number[],
    cores: [] as number[],
    delivererCores: [] as number[],
  }));
  const drainRates: number[] = [];
  /** CPU µs per message: server, PostgreSQL, broker (ours); bare process, broker (bare, 8 in flight). */
  const drainCpu: number[][] = [];
  const bareCpu: number[][] = [];
  const bareRates: { inFlight: number[]; defaults: number[]; oneAtATime: number[]; deep: number[] } = {
    inFlight: [],
    defaults: [],
    oneAtATime: [],
    deep: [],
  };
  // Pinned to the core our server is pinned to, as the bare webhook poster is.
  let barePublisher: BareBusPublisher | undefined;
  try {
    const publisher = (barePublisher = await startBareBusPublisher(0));
    for (const v of variants) {
      v.url = await createMigratedDatabase(server, v.database);
      ({ server: v.process, deliverer: v.deliverer } = await startOurDeployment(v.url, v.env, v.apart));
      processes.push(v.process, ...(v.deliverer ? [v.deliverer] : []));
      v.customerId = await seedCatalog(v.process.url, token, SKU);
    }
    for (let run = 0; run < runs; run++) {
      const orderIds = Array.from({ length: ORDERS }, (_, i) => `bus-${run}-${i}`);
      const bodies = addItemBodies(orderIds, SKU);
      for (const v of variants) {
        await createOrders(v.process.url, token, v.customerId, orderIds);
        const before = await count(v.url, ITEMS_ADDED);
        const { result, cores } = await coresUsed([[v.process.pid], v.deliverer ? [v.deliverer.pid] : [], benchPostmasters()], () =>
          runLoad(load, {
            targets: [{ url: v.process.url, bodies: bodies.ours }],
            headers: authHeaders(token),
            connections: CONNECTIONS,
            durationMs,
          }),
        );
        v.rates.push(((await count(v.url, ITEMS_ADDED)) - before) / result.seconds);
        v.cores.push(cores[0]!);
        v.delivererCores.push(cores[1]!);
      }
      // A backlog: the bus target is held back (disabled, as after failing for REACTION_DISABLE_AFTER)
      // while a load writes, then enabled. The load measured above is published first, or its tail
      // would be taken for the backlog's head. (Stopping the broker instead times the retry
      // schedule: every stream waits for its own next retry once the broker is back.)
      const on = variants[1]!;
      const deadline = Date.now() + 300_000;
      while ((await undelivered(on.url)) > 0) {
        if (Date.now() > deadline) throw new Error('the bus did not publish the load within 5 minutes');
        await new Promise((r) => setTimeout(r, 100));
      }
      const stored = (await readBusStream(nats.url, 'ORDERSOURCE')).length;
      await execute(on.url, `UPDATE reaction_targets SET enabled = false WHERE kind = 'eventBus'`);
      // Three times the load's length: a backlog of about 10,000 messages takes the bus about a
      // second, long enough for a rate (a third of it went in a third of a second, mostly warm-up).
      await runLoad(load, {
        targets: [{ url: on.process.url, bodies: bodies.ours }],
        headers: authHeaders(token),
        connections: CONNECTIONS,
        durationMs: 3 * durationMs,
      });
      // Every delivery written (the fan-out may trail the load).
      let backlog = -1;
      for (let now = await undelivered(on.url); now !== backlog; now = await undelivered(on.url)) {
        backlog = now;
        await new Promise((r) => setTimeout(r, 500));
      }
      const expected = stored + backlog;
      await execute(on.url, `UPDATE reaction_targets SET enabled = true WHERE kind = 'eventBus'`);
      // CPU of each party while the backlog drains: the server, PostgreSQL, the broker.
      const natsPids = processesMatching('nats-server', `-p ${nats.port}`);
      const drainGroups = [[on.process.pid], benchPostmasters(), natsPids];
      const drainBefore = drainGroups.map(cpuSeconds);
      drainRates.push(await drainRate(nats.url, stored, expected));
      drainCpu.push(drainGroups.map((pids, i) => (1e6 * (cpuSeconds(pids) - drainBefore[i]!)) / (expected - stored)));
      const published = (await readBusStream(nats.url, 'ORDERSOURCE'))
        .slice(stored)
        .map((m) => ({ subject: m.subject, body: JSON.stringify(m.body), id: m.body.id }));
      // The bare client with the connection options our server uses, and with the client's defaults.
      const bareGroups = [[publisher.pid], natsPids];
      const bareBefore = bareGroups.map(cpuSeconds);
      const bare = (stream: string, inFlight: number, noAsyncTraces: boolean) =>
        publisher.publish({ url: nats.url, stream: `BARE_${run}_${stream}`, messages: published, inFlight, noAsyncTraces });
      bareRates.inFlight.push(await bare('A', BARE_IN_FLIGHT, true));
      bareCpu.push(bareGroups.map((pids, i) => (1e6 * (cpuSeconds(pids) - bareBefore[i]!)) / published.length));
      bareRates.defaults.push(await bare('B', BARE_IN_FLIGHT, false));
      bareRates.oneAtATime.push(await bare('C', 1, true));
      bareRates.deep.push(await bare('D', DEEP_IN_FLIGHT, true));
    }
  } finally {
    for (const p of processes) await p.stop();
    await barePublisher?.stop();
    await load.stop();
    await nats.destroy();
    await natsApart.destroy();
    await server.close();
  }
  type Figures = { rate: number; cpuMs: number; delivererCpuMs: number };
  const [off, on, offApart, onApart] = variants.map((v): Figures => ({
    rate: median(v.rates),
    cpuMs: (1000 * median(v.cores)) / median(v.rates),
    delivererCpuMs: (1000 * median(v.delivererCores)) / median(v.rates),
  }));
  const addItemRow = (where: string, on: Figures | undefined, off: Figures | undefined, apart: boolean) => {
    const ratio = on!.rate / off!.rate;
    const deliverer = apart ? `; delivering process ${on!.delivererCpuMs.toFixed(2)} ms` : '';
    return `| addItem over HTTP, ${CONNECTIONS} connections, ${where} | ${formatRate(on!.rate)} mutations/s (command server CPU ${on!.cpuMs.toFixed(2)} ms each${deliverer}) | ${formatRate(off!.rate)} mutations/s (${off!.cpuMs.toFixed(2)} ms) | ${ratio.toFixed(2)}x | >= ${ADD_ITEM_GOAL}x: ${ratio >= ADD_ITEM_GOAL ? 'met' : 'missed'} |`;
  };
  const ours = median(drainRates);
  const bare = median(bareRates.inFlight);
  const lines = [
    '| measure | bus on | bus off / bare client | ratio | goal |',
    '|---|---|---|---|---|',
    addItemRow('deliveries in the command server', on, off, false),
    addItemRow('deliveries apart (PROJECTIONS=reactions)', onApart, offApart, true),
    `| publishing a backlog to JetStream | ${formatRate(ours)} events/s | ${formatRate(bare)} events/s (${BARE_IN_FLIGHT} in flight; ${formatRate(median(bareRates.defaults))} with the client's default options), ${formatRate(median(bareRates.oneAtATime))} one at a time, ${formatRate(median(bareRates.deep))} with ${DEEP_IN_FLIGHT} in flight | ${(ours / bare).toFixed(2)}x | >= ${PUBLISH_GOAL}x: ${ours / bare >= PUBLISH_GOAL ? 'met' : 'missed'} |`,
  ];
  const us = (rows: number[][], i: number) => Math.round(median(rows.map((r) => r[i]!)));
  lines.push(
    '',
    `CPU per message published: ours ${us(drainCpu, 0)} µs in the server, ${us(drainCpu, 1)} µs in PostgreSQL, ${us(drainCpu, 2)} µs in nats-server; ` +
      `the bare client ${us(bareCpu, 0)} µs, nats-server ${us(bareCpu, 1)} µs.`,
  );
  lines.forEach((l) => console.log(l));
  return lines;
}

async function execute(url: string, sql: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  await client.query(sql);
  await client.end();
}

/** Deliveries of the bus target not yet delivered. */
function undelivered(url: string): Promise<number> {
  return count(
    url,
    `SELECT count(*) AS n FROM reaction_deliveries d JOIN reaction_targets t ON t.id = d.target_id WHERE t.kind = 'eventBus' AND d.status <> 'DELIVERED'`,
  );
}

/** Waits until the stream holds `expected` messages; the rate between the first and last stored after `stored`. */
async function drainRate(url: string, stored: number, expected: number): Promise<number> {
  const connection = await connect({ servers: url });
  try {
    const manager = await jetstreamManager(connection);
    const deadline = Date.now() + 300_000;
    while ((await manager.streams.info('ORDERSOURCE')).state.messages < expected) {
      if (Date.now() > deadline) throw new Error('the bus did not catch up within 5 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = await manager.streams.getMessage('ORDERSOURCE', { seq: stored + 1 });
    const last = await manager.streams.getMessage('ORDERSOURCE', { seq: expected });
    const seconds = (last!.time.getTime() - first!.time.getTime()) / 1000;
    return (expected - stored - 1) / seconds;
  } finally {
    await connection.close();
  }
}
