import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAccessToken } from '../src/auth/tokens.js';
import { command, newOrderId, unique, type ApiClient } from './support/api.js';
import { processClient, projectionsTakenOver, stopProcess } from './support/liveProcess.js';
import { startServerProcess, type ServerProcess } from './support/serverProcess.js';
import { createTestDatabase, type TestDatabase } from './support/testDatabase.js';
import { subscribe, type Subscription } from './support/wsClient.js';
import { PROJECTIONS } from '../src/features.js';

// Two real server processes (`src/main.ts`) on one PostgreSQL database, as in a scaled-out deployment.
const JWT = { secret: 'live-scale-out-test-secret-0123456789abcdef', isDevelopmentSecret: false };
const PROJECTION_NAMES = PROJECTIONS.map((p) => p.name).sort();
const STATUS =
  'subscription($id: ID!, $after: String) { orderStatusChanged(orderId: $id, after: $after) { orderId status previousStatus version position order { status } } }';
const FEED = 'subscription { orderFeed { orderId type status version position } }';

interface StatusPayload {
  orderId: string;
  status: string;
  previousStatus: string | null;
  version: number;
  position: string;
  order: { status: string };
}
interface FeedPayload {
  orderId: string;
  type: string;
  status: string;
  version: number;
  position: string;
}
interface Node {
  name: 'A' | 'B';
  server: ServerProcess;
  wsUrl: string;
  admin: ApiClient;
}
interface ProjectionRow {
  name: string;
  position: string;
  lag: number;
  status: string;
}

let database: TestDatabase;
let nodeA: Node;
let nodeB: Node;
const subscriptions: Subscription<unknown>[] = [];

async function startNode(name: 'A' | 'B', adminToken: string): Promise<Node> {
  const server = await startServerProcess({
    DATABASE_URL: database.connectionString,
    JWT_SECRET: JWT.secret,
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: '6',
    SHUTDOWN_TIMEOUT_MS: '1000',
  });
  return { name, server, wsUrl: server.url.replace(/^http/, 'ws'), admin: processClient(server.url, adminToken) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  const adminToken = await signAccessToken({ sub: 'root', role: 'admin' }, JWT);
  // One after the other: A is up (and normally holds every projection lock) before B starts.
  nodeA = await startNode('A', adminToken);
  nodeB = await startNode('B', adminToken);
});

afterAll(async () => {
  await Promise.all(subscriptions.map((s) => s.close().catch(() => {})));
  await Promise.all([stopProcess(nodeA?.server), stopProcess(nodeB?.server)]);
  await database?.drop();
});

function track<T>(subscription: Subscription<T>): Subscription<T> {
  subscriptions.push(subscription as Subscription<unknown>);
  return subscription;
}

/** The position of the event of `type` in a command's result. */
function positionOf(result: Record<string, any>, type: string): string {
  const event = (result.events as { type: string; position: string }[]).find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} in ${JSON.stringify(result)}`);
  return event.position;
}

async function projectionsOf(node: Node): Promise<ProjectionRow[]> {
  const data = await node.admin.run<{ projections: ProjectionRow[] }>('{ projections { name position lag status } }');
  return data.projections;
}

/** Resolves with the projections once `node` reports every one RUNNING with lag 0 and `orders` at or past `ordersAt`. */
function caughtUp(node: Node, ordersAt: bigint, timeoutMs = 10_000): Promise<ProjectionRow[]> {
  return vi.waitFor(
    async () => {
      const rows = await projectionsOf(node);
      const orders = rows.find((r) => r.name === 'orders');
      const done = rows.every((r) => r.lag === 0 && r.status === 'RUNNING') && orders !== undefined && BigInt(orders.position) >= ordersAt;
      expect(done, `process ${node.name} to report the projections caught up to ${ordersAt}`).toBe(true);
      return rows;
    },
    { timeout: timeoutMs },
  );
}

/** Which process logged taking over each projection (each must be in exactly one). */
function projectionHolders(nodes: Node[], since = new Map<Node, number>()): Map<string, Node[]> {
  const holders = new Map<string, Node[]>(PROJECTION_NAMES.map((n) => [n, []]));
  for (const node of nodes) {
    for (const name of new Set(projectionsTakenOver(node.server, since.get(node) ?? 0))) holders.get(name)?.push(node);
  }
  return holders;
}

/**
 * The projections whose advisory lock (two-key form: 20260, hashtext(name)) is held, and by how
 * many sessions. (20260, 1) is the append's position lock, so locks are matched by name.
 */
async function projectionLocks(): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: database.connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; holders: number }>(
      `SELECT n.name, count(l.pid)::int AS holders
         FROM unnest($1::text[]) AS n(name)
         LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.classid = 20260 AND l.objsubid = 2
                             AND l.objid::bigint = (hashtext(n.name)::bigint & 4294967295)
        GROUP BY n.name ORDER BY n.name`,
      [PROJECTION_NAMES],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.holders]));
  } finally {
    await client.end();
  }
}
const ONE_HOLDER_EACH = Object.fromEntries(PROJECTION_NAMES.map((n) => [n, 1]));

// State shared by the steps below, which run in order against the same two processes.
let holder: Node;
let survivor: Node;
let customer: { id: string; token: string };
let orderId: string;
const status = new Map<Node, Subscription<StatusPayload>>();
const feed = new Map<Node, Subscription<FeedPayload>>();

const feedFor = (sub: Subscription<FeedPayload>, id: string) => sub.received.filter((e) => e.orderId === id);

describe('two server processes on one PostgreSQL database', () => {
  it('runs each projection in exactly one of the processes, and both report the read side caught up (lag 0)', async () => {
    const holders = await vi.waitFor(
      () => {
        const found = projectionHolders([nodeA, nodeB]);
        expect(
          [...found.values()].every((nodes) => nodes.length > 0),
          'every projection to be taken by a process',
        ).toBe(true);
        return found;
      },
      { timeout: 10_000 },
    );
    for (const [name, nodes] of holders)
      expect(
        nodes.map((n) => n.name),
        `processes running ${name}`,
      ).toHaveLength(1);
    expect(await projectionLocks()).toEqual(ONE_HOLDER_EACH);
    holder = holders.get('orders')![0]!;
    survivor = holder === nodeA ? nodeB : nodeA;

    // Writes through B; both processes see the projections (run by only one of them) catch up.
    const staffB = processClient(nodeB.server.url, await signAccessToken({ sub: 'alice', role: 'staff' }, JWT));
    const sku = unique('SKU');
    await command(staffB, 'addProduct', { sku, name: 'Kettle', priceCents: 1200, initialStock: 50 });
    const registered = await command(staffB, 'registerCustomer', { name: 'Scale', email: `${unique('s')}@example.com` });
    customer = { id: registered.customer.id, token: registered.token };
    const asCustomerB = processClient(nodeB.server.url, customer.token);
    orderId = newOrderId();
    await command(asCustomerB, 'createOrder', { customerId: customer.id, orderId });
    const added = await command(asCustomerB, 'addItem', { orderId, sku, quantity: 3 });
    for (const node of [nodeA, nodeB]) {
      const rows = await caughtUp(node, BigInt(added.position));
      expect(rows.map((r) => r.name).sort()).toEqual(PROJECTION_NAMES);
    }
    // A token B issued works on A (shared JWT_SECRET), and A reads B's write from the shared read side.
    const fromA = await processClient(nodeA.server.url, customer.token).run<{ order: { status: string; version: number } }>(
      'query($id: ID!, $p: String) { order(id: $id, consistentWith: $p) { status version } }',
      { id: orderId, p: added.position },
    );
    expect(fromA.order).toEqual({ status: 'DRAFT', version: 2 });
    // Still exactly one runner per projection: nobody took anything over meanwhile.
    for (const [name, nodes] of projectionHolders([nodeA, nodeB]))
      expect(
        nodes.map((n) => n.name),
        `processes running ${name}`,
      ).toEqual([holders.get(name)![0]!.name]);
  });

  it('pushes a change made through process B to orderStatusChanged and orderFeed subscribers on process A (and on B)', async () => {
    const staffToken = await signAccessToken({ sub: 'alice', role: 'staff' }, JWT);
    for (const node of [nodeA, nodeB]) feed.set(node, track(subscribe<FeedPayload>(node.wsUrl, staffToken, FEED)));
    // orderFeed sends nothing until a change: open warm-up orders until both feeds have pushed one.
    const asCustomerB = processClient(nodeB.server.url, customer.token);
    const warmUps = new Set<string>();
    await expect
      .poll(
        async () => {
          if ([...feed.values()].every((s) => s.received.some((e) => warmUps.has(e.orderId)))) return true;
          const warmUp = newOrderId();
          warmUps.add(warmUp);
          await command(asCustomerB, 'createOrder', { customerId: customer.id, orderId: warmUp });
          await new Promise((r) => setTimeout(r, 200));
          return false;
        },
        { timeout: 10_000, message: 'both orderFeed subscriptions to be live' },
      )
      .toBe(true);

    for (const node of [nodeA, nodeB])
      status.set(node, track(subscribe<StatusPayload>(node.wsUrl, customer.token, STATUS, { id: orderId })));
    for (const node of [nodeA, nodeB]) {
      const [current] = await status.get(node)!.waitFor(1);
      expect(current, `first payload on ${node.name}`).toMatchObject({ orderId, status: 'DRAFT', previousStatus: null, version: 2 });
    }

    const submitted = await command(asCustomerB, 'submitOrder', { orderId });
    const submittedAt = positionOf(submitted, 'OrderSubmitted');
    for (const node of [nodeA, nodeB]) {
      const [, change] = await status.get(node)!.waitFor(2);
      expect(change, `change on ${node.name}`).toEqual({
        orderId,
        status: 'SUBMITTED',
        previousStatus: 'DRAFT',
        version: 3,
        position: submittedAt,
        order: { status: 'SUBMITTED' },
      });
      const events = await vi.waitFor(
        () => {
          const seen = feedFor(feed.get(node)!, orderId);
          expect(
            seen.map((e) => e.type),
            `orderFeed on ${node.name} to push OrderSubmitted`,
          ).toContain('OrderSubmitted');
          return seen;
        },
        { timeout: 10_000 },
      );
      expect(
        events.filter((e) => e.type === 'OrderSubmitted'),
        `feed on ${node.name}`,
      ).toEqual([{ orderId, type: 'OrderSubmitted', status: 'SUBMITTED', version: 3, position: submittedAt }]);
    }
    expect(status.get(nodeA)!.errors).toEqual([]);
    expect(feed.get(nodeA)!.errors).toEqual([]);
  });

  it('after kill -9 of the process holding the projection locks, the survivor takes them over and its subscribers keep receiving new changes', async () => {
    const since = new Map<Node, number>([[survivor, survivor.server.output().length]]);
    const ordersBefore = BigInt((await projectionsOf(survivor)).find((r) => r.name === 'orders')!.position);
    holder.server.child.kill('SIGKILL');
    expect(await holder.server.exited).toBe('SIGKILL');

    // No writes meanwhile (a commit would wake the survivor's runners at once): this is the plain
    // takeover, the survivor retrying the locks every 2 s once PostgreSQL has ended the dead sessions.
    await expect
      .poll(() => [...projectionHolders([survivor], since).values()].every((nodes) => nodes.length === 1), {
        timeout: 30_000,
        message: `process ${survivor.name} to take over every projection`,
      })
      .toBe(true);
    expect(await projectionLocks()).toEqual(ONE_HOLDER_EACH);

    // The killed process's subscribers lost their connection; the survivor's did not.
    await status.get(holder)!.waitForError();
    const survivorStatus = status.get(survivor)!;
    const survivorFeed = feed.get(survivor)!;
    expect(survivorStatus.errors).toEqual([]);

    const staff = processClient(survivor.server.url, await signAccessToken({ sub: 'bob', role: 'staff' }, JWT));
    const paid = await command(staff, 'recordPayment', { orderId, amountCents: 3600, paymentRef: unique('pay') });
    expect((await survivorStatus.waitFor(3))[2]).toMatchObject({
      previousStatus: 'SUBMITTED',
      status: 'PAID',
      version: 4,
      position: positionOf(paid, 'PaymentRecorded'),
    });

    const shipped = await command(staff, 'shipOrder', { orderId, carrier: 'DHL', trackingNumber: unique('T') });
    const changes = await survivorStatus.waitFor(4);
    expect(changes.slice(2).map((c) => [c.previousStatus, c.status, c.version, c.position])).toEqual([
      ['SUBMITTED', 'PAID', 4, positionOf(paid, 'PaymentRecorded')],
      ['PAID', 'SHIPPED', 5, positionOf(shipped, 'OrderShipped')],
    ]);
    expect(survivorStatus.errors).toEqual([]);
    const feedEvents = await vi.waitFor(
      () => {
        const seen = feedFor(survivorFeed, orderId);
        expect(
          seen.map((e) => e.type),
          `orderFeed on ${survivor.name} to push OrderShipped`,
        ).toContain('OrderShipped');
        return seen;
      },
      { timeout: 10_000 },
    );
    // Every change of the order since the feed opened, once each, in log order: none lost in the takeover.
    expect(feedEvents.map((e) => [e.type, e.position])).toEqual([
      ['OrderSubmitted', status.get(survivor)!.received[1]!.position],
      ['PaymentRecorded', positionOf(paid, 'PaymentRecorded')],
      ['OrderShipped', positionOf(shipped, 'OrderShipped')],
    ]);
    expect(survivorFeed.errors).toEqual([]);

    // The survivor runs `orders` now: its position moves past the kill and the new writes.
    const rows = await caughtUp(survivor, BigInt(positionOf(shipped, 'OrderShipped')));
    expect(BigInt(rows.find((r) => r.name === 'orders')!.position)).toBeGreaterThan(ordersBefore);
  });

  it('a subscriber of the killed process that resumes on the survivor with `after` = its last position gets exactly the changes it missed, then live ones', async () => {
    const lost = status.get(holder)!;
    const last = lost.received.at(-1)!;
    expect(last).toMatchObject({ status: 'SUBMITTED', version: 3 });

    const resumed = track(subscribe<StatusPayload>(survivor.wsUrl, customer.token, STATUS, { id: orderId, after: last.position }));
    const missed = await resumed.waitFor(2);
    // Exactly the changes the survivor's uninterrupted subscriber got after that position (`order`
    // is the order as the read side has it when the payload is sent, so a replay shows it as it is now).
    const change = ({ order: _order, ...rest }: StatusPayload) => rest;
    const uninterrupted = status.get(survivor)!.received.filter((c) => BigInt(c.position) > BigInt(last.position));
    expect(missed.map(change)).toEqual(uninterrupted.map(change));
    expect(missed.map((c) => c.order.status)).toEqual(['SHIPPED', 'SHIPPED']);
    expect(missed.map((c) => [c.previousStatus, c.status, c.version])).toEqual([
      ['SUBMITTED', 'PAID', 4],
      ['PAID', 'SHIPPED', 5],
    ]);

    const ordersBefore = BigInt((await projectionsOf(survivor)).find((r) => r.name === 'orders')!.position);
    const staff = processClient(survivor.server.url, await signAccessToken({ sub: 'bob', role: 'staff' }, JWT));
    const delivered = await command(staff, 'deliverOrder', { orderId });
    const deliveredAt = positionOf(delivered, 'OrderDelivered');
    const all = await resumed.waitFor(3);
    expect(all[2]).toEqual({
      orderId,
      status: 'DELIVERED',
      previousStatus: 'SHIPPED',
      version: 6,
      position: deliveredAt,
      order: { status: 'DELIVERED' },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.received).toHaveLength(3);
    expect(resumed.errors).toEqual([]);
    const positions = resumed.received.map((c) => BigInt(c.position));
    expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
    expect(positions[0]! > BigInt(last.position)).toBe(true);

    // And `orders` keeps advancing on the survivor.
    const rows = await caughtUp(survivor, BigInt(deliveredAt));
    expect(BigInt(rows.find((r) => r.name === 'orders')!.position)).toBeGreaterThan(ordersBefore);
  });
});
