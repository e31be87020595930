import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientAs, command, newOrderId, unique, type ApiClient } from './support/api.js';
import { subscribeSse } from './support/liveSse.js';
import { useTestServer } from './support/testServer.js';

const server = useTestServer();
let staff: ApiClient;
beforeAll(async () => {
  staff = await clientAs(server, 'staff', 'alice');
});

const STATUS =
  'subscription($id: ID!, $after: String) { orderStatusChanged(orderId: $id, after: $after) { orderId status previousStatus version position order { id status totalCents } } }';

interface StatusPayload {
  orderId: string;
  status: string;
  previousStatus: string | null;
  version: number;
  position: string;
  order: { id: string; status: string; totalCents: number };
}

/** A registered customer's client and their DRAFT order of one line, already on the read side. */
async function draftOrder() {
  const sku = unique('SKU');
  await command(staff, 'addProduct', { sku, name: 'Lamp', priceCents: 2500, initialStock: 5 });
  const registered = await command(staff, 'registerCustomer', { name: 'Client', email: `${unique('c')}@example.com` });
  const customer = await clientAs(server, 'customer', registered.customer.id);
  const orderId = newOrderId();
  await command(customer, 'createOrder', { customerId: registered.customer.id, orderId });
  const added = await command(customer, 'addItem', { orderId, sku, quantity: 2 });
  // The first payload is the read side's current state: let it catch up with the item first.
  await customer.run('query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { id } }', { id: orderId, p: added.position });
  return { customer, orderId };
}

/** The position of the event of `type` in a command's result. */
function positionOf(result: Record<string, any>, type: string): string {
  const event = (result.events as { type: string; position: string }[]).find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} in ${JSON.stringify(result)}`);
  return event.position;
}

/** Values an observer pushes; `waitFor(n)` resolves once n have arrived (bounded). */
function collector<T>() {
  const values: T[] = [];
  const errors: unknown[] = [];
  const wake = new Set<() => void>();
  return {
    values,
    errors,
    push(value: T) {
      values.push(value);
      wake.forEach((w) => w());
    },
    fail(error: unknown) {
      errors.push(error);
      wake.forEach((w) => w());
    },
    waitFor(count: number, timeoutMs = 10_000): Promise<T[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (values.length < count) return false;
          clearTimeout(timer);
          wake.delete(check);
          resolve(values.slice(0, count));
          return true;
        };
        const timer = setTimeout(() => {
          wake.delete(check);
          reject(
            new Error(
              `timed out waiting for ${count} payloads; got ${JSON.stringify(values)}, errors ${JSON.stringify(errors.map(String))}`,
            ),
          );
        }, timeoutMs);
        if (!check()) wake.add(check);
      });
    },
  };
}

describe('Apollo Client 4 over graphql-ws', () => {
  it("receives an order's current status first, then its change, and keeps the order normalized in its cache", async () => {
    const { customer, orderId } = await draftOrder();
    const wsClient = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${customer.token}` },
    });
    const cache = new InMemoryCache();
    const apollo = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache });
    const pushed = collector<StatusPayload>();
    const subscription = apollo
      .subscribe<{ orderStatusChanged: StatusPayload }>({ query: gql(STATUS), variables: { id: orderId } })
      .subscribe({
        next: (result) => (result.error ? pushed.fail(result.error) : pushed.push(result.data!.orderStatusChanged)),
        error: (error) => pushed.fail(error),
      });
    try {
      const [current] = await pushed.waitFor(1);
      expect(current).toMatchObject({
        __typename: 'OrderStatusChange',
        orderId,
        status: 'DRAFT',
        previousStatus: null,
        version: 2,
        order: { id: orderId, status: 'DRAFT', totalCents: 5000 },
      });

      const submitted = await command(customer, 'submitOrder', { orderId });
      const [, change] = await pushed.waitFor(2);
      expect(change).toMatchObject({
        orderId,
        status: 'SUBMITTED',
        previousStatus: 'DRAFT',
        version: 3,
        position: positionOf(submitted, 'OrderSubmitted'),
        order: { status: 'SUBMITTED' },
      });
      expect(pushed.errors).toEqual([]);
      // The subscription wrote the order into the cache under its id, with its latest status.
      expect(cache.extract()[`Order:${orderId}`]).toMatchObject({ __typename: 'Order', id: orderId, status: 'SUBMITTED' });
    } finally {
      subscription.unsubscribe();
      apollo.stop();
      await wsClient.dispose();
    }
  });
});

describe('orderStatusChanged over Server-Sent Events (Yoga, distinct connections)', () => {
  it('streams the current status as `event: next`, then the change, to a caller with an authorization header', async () => {
    const { customer, orderId } = await draftOrder();
    const sub = subscribeSse<StatusPayload>(server.app.url, STATUS, { id: orderId }, { authorization: `Bearer ${customer.token}` });
    try {
      expect(await sub.response).toMatchObject({ status: 200, contentType: expect.stringContaining('text/event-stream') });
      const [current] = await sub.waitFor(1);
      expect(current).toMatchObject({
        orderId,
        status: 'DRAFT',
        previousStatus: null,
        version: 2,
        order: { status: 'DRAFT', totalCents: 5000 },
      });

      const submitted = await command(customer, 'submitOrder', { orderId });
      await command(staff, 'recordPayment', { orderId, amountCents: 5000, paymentRef: unique('pay') });
      const changes = await sub.waitFor(3);
      expect(changes.slice(1).map((c) => [c.previousStatus, c.status, c.version])).toEqual([
        ['DRAFT', 'SUBMITTED', 3],
        ['SUBMITTED', 'PAID', 4],
      ]);
      expect(changes[1]!.position).toBe(positionOf(submitted, 'OrderSubmitted'));
      expect(sub.errors).toEqual([]);
      expect(sub.events.map((e) => e.event)).toEqual(['next', 'next', 'next']);
      expect(sub.completed).toBe(false);
    } finally {
      await sub.close();
    }
  });

  it('answers an anonymous SSE subscription to orderStatusChanged with one UNAUTHENTICATED error and ends the stream', async () => {
    const { orderId } = await draftOrder();
    const sub = subscribeSse<StatusPayload>(server.app.url, STATUS, { id: orderId });
    try {
      const errors = (await sub.waitForError()) as { message: string; extensions?: { code?: string } }[];
      expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);
      await sub.waitForComplete();
      expect(sub.received).toEqual([]);
      expect(sub.events.map((e) => e.event)).toEqual(['next', 'complete']);
    } finally {
      await sub.close();
    }
  });
});

// A subscriber that leaves must not cost the server anything after: its listener on the live feed
// has to go when the client does, not when the order next changes (a quiet order may never change).
describe('clients that go away', () => {
  /** Subscribers the in-process server's live feed holds for one order. */
  const listenersOf = (orderId: string) => server.services.liveFeed.listenerCount(`order:${orderId}`);

  async function released(orderId: string, timeoutMs = 3_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (listenersOf(orderId) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return listenersOf(orderId);
  }

  it("releases the server's listener when an SSE client aborts a quiet orderStatusChanged stream", async () => {
    const { customer, orderId } = await draftOrder();
    const sub = subscribeSse<StatusPayload>(server.app.url, STATUS, { id: orderId }, { authorization: `Bearer ${customer.token}` });
    try {
      await sub.waitFor(1);
      expect(listenersOf(orderId)).toBe(1);
    } finally {
      await sub.close();
    }
    expect(await released(orderId)).toBe(0);
  });

  it("releases the server's listener when an Apollo client unsubscribes from a quiet orderStatusChanged", async () => {
    const { customer, orderId } = await draftOrder();
    const wsClient = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${customer.token}` },
    });
    const apollo = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
    const pushed = collector<StatusPayload>();
    const subscription = apollo
      .subscribe<{ orderStatusChanged: StatusPayload }>({ query: gql(STATUS), variables: { id: orderId } })
      .subscribe({
        next: (result) => (result.error ? pushed.fail(result.error) : pushed.push(result.data!.orderStatusChanged)),
        error: (error) => pushed.fail(error),
      });
    try {
      await pushed.waitFor(1);
      expect(listenersOf(orderId)).toBe(1);
    } finally {
      subscription.unsubscribe();
      apollo.stop();
      await wsClient.dispose();
    }
    expect(await released(orderId)).toBe(0);
  });
});
