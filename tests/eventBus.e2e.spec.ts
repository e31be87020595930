import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BUS_TARGET } from '../src/eventBus/eventBusFeature.js';
import { startTracing } from '../src/observability/tracing.js';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { type BusMessage, expectedBusIds, outOfOrderSubjects, readBusStream, repeatedIds } from './support/busStream.js';
import { startNatsServer, type NatsServer } from './support/natsServer.js';
import { startTestServer, useTestServer, type TestServer } from './support/testServer.js';

// The event bus against a real nats-server with JetStream: every published event reaches the
// stream once, in order per order, also when the broker was down meanwhile.
const STREAM = 'ORDERSOURCE_TEST';
let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
}, 30_000);
afterAll(() => nats?.destroy());

// Retries a second apart, so a broker that comes back is used again soon.
const server = useTestServer(() => ({
  EVENT_BUS_URL: nats.url,
  EVENT_BUS_STREAM: STREAM,
  REACTION_RETRY_SCHEDULE: Array(30).fill('1s').join(','),
}));
const base = (s: TestServer) => s.app.url.replace(/\/graphql$/, '');

let staff: ApiClient;
let sku: string;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'bus-staff');
  sku = unique('BUS');
  await command(staff, 'addProduct', { sku, name: 'Lamp', priceCents: 1_200, initialStock: 1_000 });
});

/** An order walked from creation to delivery (seven events). */
async function deliveredOrder(): Promise<string> {
  const registered = await command(staff, 'registerCustomer', { name: 'Bus Rider', email: `${unique('bus')}@example.com` });
  const orderId = newOrderId();
  await command(staff, 'createOrder', { customerId: registered.customer.id, orderId });
  await command(staff, 'addItem', { orderId, sku, quantity: 2 });
  await command(staff, 'submitOrder', { orderId });
  await command(staff, 'recordPayment', { orderId, amountCents: 2_400, paymentRef: unique('pay') });
  await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: unique('track') });
  await command(staff, 'deliverOrder', { orderId });
  return orderId;
}

const expectedIds = () => expectedBusIds(server.services.db.pool, server.services.integrationEvents.eventTypes);

/** Waits until the stream holds every expected event, and returns its messages. */
async function streamHoldsAll(): Promise<BusMessage[]> {
  let messages: BusMessage[] = [];
  const expected = await expectedIds();
  await expect
    .poll(
      async () => {
        messages = await readBusStream(nats.url, STREAM);
        return expected.filter((id) => !messages.some((m) => m.body.id === id));
      },
      { timeout: 60_000, interval: 500 },
    )
    .toEqual([]);
  return messages;
}

async function lagOfBus(): Promise<number | undefined> {
  const text = await (await fetch(`${base(server)}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('ordersource_reaction_lag_messages{') && l.includes(`target="${EVENT_BUS_TARGET.id}"`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

describe('the event bus', () => {
  it('publishes every order event once, as a CloudEvent on ordersource.<aggregate>.<type>, in order per order', async () => {
    const orderIds = await Promise.all([deliveredOrder(), deliveredOrder(), deliveredOrder()]);
    const messages = await streamHoldsAll();
    expect(repeatedIds(messages)).toEqual([]);
    expect(outOfOrderSubjects(messages)).toEqual([]);
    for (const m of messages) {
      expect(m.msgId).toBe(m.body.id);
      expect(m.contentType).toBe('application/cloudevents+json');
      expect(m.subject).toBe(m.body.type.replace(/\.v1$/, ''));
      expect(m.body).toMatchObject({ specversion: '1.0', source: 'urn:ordersource', datacontenttype: 'application/json' });
    }
    const first = messages.filter((m) => m.body.subject === orderIds[0]);
    expect(first.map((m) => m.subject)).toEqual([
      'ordersource.order.created',
      'ordersource.order.item_added',
      'ordersource.order.submitted',
      'ordersource.order.paid',
      'ordersource.order.shipped',
      'ordersource.order.delivered',
    ]);
    expect(first.find((m) => m.subject === 'ordersource.order.shipped')!.body.data).toMatchObject({ carrier: 'DHL' });
  });

  it('keeps serving while the broker is down, reports the lag, and catches up once when it is back', async () => {
    await nats.stop();
    try {
      // Commands are answered and the service stays ready: the bus is not needed to serve.
      const orderId = await deliveredOrder();
      expect((await fetch(`${base(server)}/ready`)).status).toBe(200);
      await expect.poll(lagOfBus, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
      expect(orderId).toBeTruthy();
    } finally {
      await nats.restart();
    }
    const messages = await streamHoldsAll();
    expect(repeatedIds(messages)).toEqual([]);
    expect(outOfOrderSubjects(messages)).toEqual([]);
    await expect.poll(lagOfBus, { timeout: 30_000, interval: 500 }).toBe(0);
  });

  it('publishes nothing and keeps no bus target when EVENT_BUS_URL is unset', async () => {
    const plain = await startTestServer();
    try {
      const admin = await clientAs(plain, 'staff', 'plain-staff');
      await command(admin, 'addProduct', { sku: unique('PLAIN'), name: 'Plain', priceCents: 100, initialStock: 1 });
      const { rows } = await plain.services.db.pool.query(
        `SELECT t.kind, count(d.id)::int AS deliveries FROM reaction_targets t LEFT JOIN reaction_deliveries d ON d.target_id = t.id
         WHERE t.kind = $1 GROUP BY t.kind`,
        [EVENT_BUS_TARGET.kind],
      );
      expect(rows).toEqual([]);
    } finally {
      await plain.stop();
    }
  });

  it('carries a traceparent in the trace of the command that appended the event, when tracing is on', async () => {
    // A collector that accepts and drops every span: what is checked is the header's trace.
    const collector = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    };
    // The exporter reads the standard variables itself.
    Object.assign(process.env, otel);
    const tracing = await startTracing();
    try {
      const orderId = await deliveredOrder();
      const messages = await streamHoldsAll();
      const paid = messages.find((m) => m.body.subject === orderId && m.subject === 'ordersource.order.paid')!;
      const { rows } = await server.services.db.pool.query<{ traceparent: string }>(
        `SELECT metadata->'trace'->>'traceparent' AS traceparent FROM events WHERE stream_id || ':' || version = $1`,
        [paid.body.id],
      );
      const traceId = (traceparent: string | undefined) => traceparent?.split('-')[1];
      expect(traceId(rows[0]?.traceparent)).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId(paid.traceparent)).toBe(traceId(rows[0]?.traceparent));
    } finally {
      await tracing.shutdown();
      for (const name of Object.keys(otel)) delete process.env[name];
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});
