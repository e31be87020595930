import { DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_BUS_TARGET } from '../src/eventBus/eventBusFeature.js';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { type BusMessage, expectedBusIds, readBusStream, repeatedIds } from './support/busStream.js';
import { startNatsServer, type NatsServer } from './support/natsServer.js';
import { useTestServer } from './support/testServer.js';

// The bus publishes a stream's run of messages without waiting for each acknowledgement. Here the
// broker refuses messages in the middle of runs (an operator's stream with a message limit and
// `discard: new`), and later takes them: each order's messages must still be stored in log order,
// each once, with no gap (what follows a refused message is sent again after it).
const STREAM = 'ORDERSOURCE_FULL';
const FIRST_LIMIT = 20;
let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
  // Made before the server starts: the server leaves an existing stream as its operator set it up.
  await withManager((manager) =>
    manager.streams.add({ name: STREAM, subjects: ['ordersource.>'], max_msgs: FIRST_LIMIT, discard: DiscardPolicy.New }),
  );
}, 30_000);
afterAll(() => nats?.destroy());

async function withManager<T>(work: (manager: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const connection = await connect({ servers: nats.url });
  try {
    return await work(await jetstreamManager(connection));
  } finally {
    await connection.close();
  }
}

const server = useTestServer(() => ({
  EVENT_BUS_URL: nats.url,
  EVENT_BUS_STREAM: STREAM,
  REACTION_RETRY_SCHEDULE: Array(60).fill('1s').join(','),
}));

let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'full-bus-staff');
});

/** An order with a few items, submitted and paid (its events in the log in this order). */
async function busyOrder(sku: string): Promise<string> {
  const registered = await command(staff, 'registerCustomer', { name: 'Full Bus', email: `${unique('full')}@example.com` });
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId: registered.customer.id, orderId });
  for (let i = 0; i < 4; i++) await command(staff, 'addItem', { orderId, sku, quantity: 1 });
  await command(staff, 'submitOrder', { orderId });
  await command(staff, 'recordPayment', { orderId, amountCents: 4_000, paymentRef: unique('pay') });
  return orderId;
}

const expectedIds = () => expectedBusIds(server.services.db.pool, server.services.integrationEvents.eventTypes);

/** Waits until the stream holds exactly `count` messages, and returns them. */
async function streamOfLength(count: number): Promise<BusMessage[]> {
  let messages: BusMessage[] = [];
  await expect
    .poll(
      async () => {
        messages = await readBusStream(nats.url, STREAM);
        return messages.length;
      },
      { timeout: 60_000, interval: 500 },
    )
    .toBe(count);
  return messages;
}

/** The streams whose stored messages are not the first ones of that stream in log order (out of order, or with a gap). */
function streamsNotAPrefix(stored: readonly BusMessage[], expected: readonly string[]): string[] {
  const streamOf = (id: string) => id.slice(0, id.lastIndexOf(':'));
  const wrong = new Set<string>();
  const expectedOf = new Map<string, string[]>();
  for (const id of expected) expectedOf.set(streamOf(id), [...(expectedOf.get(streamOf(id)) ?? []), id]);
  const storedOf = new Map<string, string[]>();
  for (const m of stored) storedOf.set(streamOf(m.body.id), [...(storedOf.get(streamOf(m.body.id)) ?? []), m.body.id]);
  for (const [stream, ids] of storedOf) if (ids.some((id, i) => expectedOf.get(stream)?.[i] !== id)) wrong.add(stream);
  return [...wrong];
}

describe('the event bus on a stream that refuses messages in the middle of runs', () => {
  it('stores each order’s messages once, in log order with no gap, before and after the broker takes more', async () => {
    const sku = unique('FULL');
    await command(staff, 'addProduct', { sku, name: 'Crate', priceCents: 1_000, initialStock: 1_000 });
    // A backlog first, so that runs are long: the bus target held back while the orders are written.
    const pool = server.services.db.pool;
    await pool.query('UPDATE reaction_targets SET enabled = false WHERE id = $1', [EVENT_BUS_TARGET.id]);
    await Promise.all(Array.from({ length: 6 }, () => busyOrder(sku)));
    const expected = await expectedIds();
    await expect
      .poll(
        async () =>
          (await pool.query('SELECT count(*)::int AS n FROM reaction_deliveries WHERE target_id = $1', [EVENT_BUS_TARGET.id])).rows[0].n,
        {
          timeout: 30_000,
        },
      )
      .toBe(expected.length);
    expect(expected.length).toBeGreaterThan(2 * FIRST_LIMIT);
    await server.services.reactions.store.enable(EVENT_BUS_TARGET.id);
    server.services.reactions.poke();

    // The stream fills up; the messages it refused are retried (and refused) meanwhile.
    await expect.poll(async () => (await readBusStream(nats.url, STREAM)).length, { timeout: 30_000 }).toBe(FIRST_LIMIT);
    await expect
      .poll(
        async () =>
          (
            await pool.query(
              `SELECT count(*)::int AS n FROM reaction_attempts a JOIN reaction_deliveries d ON d.id = a.delivery_id
                             WHERE d.target_id = $1 AND a.error IS NOT NULL`,
              [EVENT_BUS_TARGET.id],
            )
          ).rows[0].n,
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    const full = await readBusStream(nats.url, STREAM);
    expect(full).toHaveLength(FIRST_LIMIT);
    expect(repeatedIds(full)).toEqual([]);
    expect(streamsNotAPrefix(full, expected)).toEqual([]);

    // Room for everything: the rest arrives, in order, each once.
    await withManager((manager) => manager.streams.update(STREAM, { max_msgs: -1 }));
    const all = await streamOfLength(expected.length);
    expect(repeatedIds(all)).toEqual([]);
    expect(streamsNotAPrefix(all, expected)).toEqual([]);
    expect(all.map((m) => m.body.id).sort()).toEqual([...expected].sort());
  });

  it('keeps log order with no gap when the broker stops in the middle of a backlog and comes back', async () => {
    const sku = unique('STOP');
    await command(staff, 'addProduct', { sku, name: 'Barrel', priceCents: 1_000, initialStock: 1_000 });
    const pool = server.services.db.pool;
    await pool.query('UPDATE reaction_targets SET enabled = false WHERE id = $1', [EVENT_BUS_TARGET.id]);
    await Promise.all(Array.from({ length: 12 }, () => busyOrder(sku)));
    const expected = await expectedIds();
    const undelivered = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM reaction_deliveries WHERE target_id = $1 AND status <> 'DELIVERED'`,
          [EVENT_BUS_TARGET.id],
        )
      ).rows[0]!.n;
    await expect
      .poll(async () => expected.length - (await readBusStream(nats.url, STREAM)).length === (await undelivered()), { timeout: 30_000 })
      .toBe(true);
    const before = await undelivered();
    // Enabled, then the broker stopped as soon as the first messages of the backlog are recorded.
    await server.services.reactions.store.enable(EVENT_BUS_TARGET.id);
    server.services.reactions.poke();
    await vi.waitFor(async () => expect(await undelivered()).toBeLessThan(before), { timeout: 30_000, interval: 2 });
    await nats.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    await nats.restart();

    const all = await streamOfLength(expected.length);
    expect(repeatedIds(all)).toEqual([]);
    expect(streamsNotAPrefix(all, expected)).toEqual([]);
    await expect.poll(undelivered, { timeout: 30_000 }).toBe(0);
  });
});
