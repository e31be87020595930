import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_BUS_TARGET } from '../../src/eventBus/eventBusFeature.js';
import { FEATURES } from '../../src/features.js';
import { integrationEventsOf } from '../../src/services.js';
import { outOfOrderSubjects, readBusStream, repeatedIds, type BusMessage } from '../support/busStream.js';
import { startNatsServer, type NatsServer } from '../support/natsServer.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { cleanUp, killProcessGroup, msSince, printServerLogIfFailed, report, startFaultServer } from './support/faultServer.js';
import { startOwnedPostgres, type OwnedPostgres } from './support/ownedPostgres.js';
import { prepareLoad, startWriteLoad } from './support/writeLoad.js';

let server: ServerProcess | undefined;
let owned: OwnedPostgres | undefined;
let nats: NatsServer | undefined;
afterEach(async (context) => {
  printServerLogIfFailed(context, server);
  await cleanUp(server);
  await owned?.destroy();
  await nats?.destroy();
  [server, owned, nats] = [undefined, undefined, undefined];
});

const STREAM = 'ORDERSOURCE';
const waitFor = async (condition: () => boolean, ms: number) => {
  const started = Date.now();
  while (!condition() && msSince(started) < ms) await new Promise((r) => setTimeout(r, 20));
};

/** One number from the database. */
async function scalar(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The ids of every published event after the bus target was created, in log order. */
async function publishedIds(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `SELECT stream_id || ':' || version AS id FROM events
       WHERE position > (SELECT from_position FROM reaction_targets WHERE id = $1)
         AND type = ANY($2::text[]) ORDER BY position`,
      [EVENT_BUS_TARGET.id, PUBLISHED_TYPES],
    );
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

// Every internal event type that has an integration event (the bus publishes those).
const PUBLISHED_TYPES = integrationEventsOf(FEATURES).eventTypes;

describe('the event bus through faults', () => {
  it('puts every event in the stream exactly once, in order per stream, through a broker stop and start and a kill -9 of the server', async () => {
    nats = await startNatsServer();
    owned = await startOwnedPostgres();
    const env = { DATABASE_URL: owned.url, EVENT_BUS_URL: nats.url, REACTION_RETRY_SCHEDULE: Array(60).fill('1s').join(',') };
    server = await startFaultServer(env);
    const customerId = await prepareLoad(server.url);
    const load = startWriteLoad(() => server!.url, customerId, 4);

    // The broker goes away under load and comes back.
    await waitFor(() => load.acknowledgedCount >= 60, 20_000);
    await nats.stop();
    await waitFor(() => load.acknowledgedCount >= 120, 20_000);
    // Down until attempts fail (a publish waits for the client's reconnect up to its timeout first).
    await expect
      .poll(() => scalar(owned!.url, `SELECT count(*) AS n FROM reaction_attempts WHERE error IS NOT NULL`), {
        timeout: 60_000,
        interval: 500,
      })
      .toBeGreaterThan(0);
    await nats.restart();
    // Then the server dies mid-load, with messages published whose deliveries it had not recorded.
    await waitFor(() => load.acknowledgedCount >= 200, 20_000);
    await killProcessGroup(server);
    const before = await load.stop();
    expect(before.errors).toEqual({});
    server = await startFaultServer(env);

    const expected = await publishedIds(owned.url);
    expect(expected.length).toBeGreaterThan(100);
    let messages: BusMessage[] = [];
    const catchingUp = Date.now();
    await expect
      .poll(
        async () => {
          messages = await readBusStream(nats!.url, STREAM);
          return messages.length >= expected.length;
        },
        { timeout: 120_000, interval: 1_000 },
      )
      .toBe(true);
    expect(repeatedIds(messages)).toEqual([]);
    expect(messages.map((m) => m.body.id).sort()).toEqual([...expected].sort());
    expect(outOfOrderSubjects(messages)).toEqual([]);
    const failedAttempts = await scalar(owned.url, `SELECT count(*) AS n FROM reaction_attempts WHERE error IS NOT NULL`);
    report('event bus through a broker restart and kill -9', {
      acknowledgedCommands: before.acknowledged.length,
      published: messages.length,
      catchUpAfterRestartMs: msSince(catchingUp),
      failedAttempts,
    });
  });
});
