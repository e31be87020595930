import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ALL_PROJECTIONS,
  dumpTables,
  expectReadModelsToMatchLog,
  openWorld,
  readShop,
  runShop,
  sleep,
  type World,
} from './fixtures/projectionWorld.js';
import { clientAs, command } from './support/api.js';
import { startTestServer, type TestServer } from './support/testServer.js';
import { registerCustomer } from '../src/customers/customerCommands.js';
import { ConsistencyTimeoutError } from '../src/domain/errors.js';
import { appendToStreams } from '../src/eventStore/append.js';
import { addItem, createOrder, recordPayment, submitOrder } from '../src/orders/orderCommands.js';
import { addProduct, restockProduct } from '../src/products/productCommands.js';
import { PROJECTIONS } from '../src/features.js';
import { CheckpointSkips } from '../src/projections/skipBatch.js';
import { AdvisoryLockSession } from '../src/db/advisoryLockSession.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { CommitNotifier } from '../src/eventStore/notifications.js';

let world: World | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await world?.close();
  await server?.stop();
  world = server = undefined;
});

const checkpoints = async (w: World) =>
  Object.fromEntries(
    (await w.db.prisma.projectionCheckpoint.findMany()).map((c) => [
      c.name,
      { position: c.position, status: c.status, lastError: c.lastError },
    ]),
  );

describe('a projection runner on PostgreSQL', () => {
  it('catches up from position 0 to read tables that match the accepted commands, and checkpoints the head', async () => {
    world = await openWorld();
    const expected = await runShop(world, 'cu');
    const head = await world.head();
    const readSide = await world.readSide();
    readSide.start();
    await readSide.waitFor(ALL_PROJECTIONS, head, 15_000);
    expect(await readShop(world.db, 'cu')).toEqual(expected);
    expect(await checkpoints(world)).toEqual(
      Object.fromEntries(ALL_PROJECTIONS.map((n) => [n, { position: head, status: 'RUNNING', lastError: null }])),
    );
    await expectReadModelsToMatchLog(world);
  });

  it('changes nothing when the same batch is applied twice in one transaction', async () => {
    world = await openWorld();
    const expected = await runShop(world, 'twice');
    const events = await world.services.eventStore.readAll(0n, 10_000);
    const client = await world.db.pool.connect();
    try {
      await client.query('BEGIN');
      // The fan-out to reaction targets owns no read tables (its deliveries are no read model to
      // rebuild); its repeats are dropped by its own unique key, which the webhook tests exercise.
      for (const projection of PROJECTIONS.filter((p) => p.tables.length > 0)) {
        const batch = events.filter((e) => projection.eventTypes.includes(e.type));
        const before = await dumpTables(client, projection.tables);
        await projection.apply(client, batch);
        const afterFirst = await dumpTables(client, projection.tables);
        expect(afterFirst, projection.name).not.toEqual(before);
        await projection.apply(client, batch);
        expect(await dumpTables(client, projection.tables), projection.name).toEqual(afterFirst);
        await projection.apply(client, batch.slice(batch.length / 2));
        expect(await dumpTables(client, projection.tables), projection.name).toEqual(afterFirst);
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await readShop(world.db, 'twice')).toEqual(expected);
  });

  it('resumes after being stopped between batches without counting anything twice', async () => {
    world = await openWorld();
    const first = await world.readSide();
    first.start();
    let stoppedAt: Awaited<ReturnType<typeof checkpoints>> = {};
    const expectedA = await runShop(world, 'ra', async () => {
      await first.waitFor(ALL_PROJECTIONS, await world!.head(), 15_000);
      await first.stop();
      stoppedAt = await checkpoints(world!);
    });
    const expectedB = await runShop(world, 'rb');
    const head = await world.head();
    expect(await checkpoints(world)).toEqual(stoppedAt); // nobody ran meanwhile
    for (const name of ALL_PROJECTIONS) expect(stoppedAt[name]!.position).toBeLessThan(head);

    const second = await world.readSide();
    second.start();
    await second.waitFor(ALL_PROJECTIONS, head, 15_000);
    expect(await readShop(world.db, 'ra')).toEqual(expectedA);
    expect(await readShop(world.db, 'rb')).toEqual(expectedB);
    await expectReadModelsToMatchLog(world);
  });

  it('skips nothing while concurrent writers hold their commits back and commands run alongside', async () => {
    world = await openWorld();
    const w = world;
    const customers: string[] = [];
    for (let i = 0; i < 4; i++)
      customers.push((await w.run(registerCustomer, { name: `C${i}`, email: `late-${i}@example.com` })).aggregateId);
    const skus = ['L-A', 'L-B', 'L-C'];
    for (const sku of skus) await w.run(addProduct, { sku, name: sku, priceCents: 100 + sku.length, initialStock: 10_000 });
    const readSide = await w.readSide();
    let batches = 0;
    readSide.runners.forEach((r) => r.on('progress', () => batches++));
    readSide.start();

    /** Valid order events appended in an explicit transaction that waits before committing. */
    const lateAppend = async (orderId: string, version: number, events: { type: string; data: Record<string, unknown> }[]) => {
      const client = await w.db.pool.connect();
      try {
        await client.query('BEGIN');
        await appendToStreams(client, {
          streams: [{ streamId: `Order-${orderId}`, streamType: 'Order', expectedVersion: version, events }],
          metadata: { occurredAt: new Date().toISOString() },
        });
        await sleep(Math.random() * 25);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
    const lateWriter = async (n: number) => {
      for (let i = 0; i < 8; i++) {
        const orderId = `late-${n}-${i}`;
        await lateAppend(orderId, 0, [{ type: 'OrderCreated', data: { orderId, customerId: customers[n % customers.length] } }]);
        const sku = skus[i % skus.length]!;
        await lateAppend(orderId, 1, [{ type: 'ItemAdded', data: { sku, name: sku, quantity: i + 1, unitPriceCents: 100 + sku.length } }]);
      }
    };
    const commandWriter = async (n: number) => {
      for (let i = 0; i < 5; i++) {
        const orderId = `cmd-${n}-${i}`;
        await w.run(createOrder, { customerId: customers[n % customers.length], orderId });
        await w.run(addItem, { orderId, sku: skus[(n + i) % skus.length], quantity: 1 + i });
        const submitted = await w.run(submitOrder, { orderId });
        if (i % 2 === 0) await w.run(recordPayment, { orderId, amountCents: submitted.entity.totalCents, paymentRef: `pay-${orderId}` });
        if (i === 3) await w.run(restockProduct, { sku: skus[n % skus.length], quantity: 7 });
      }
    };
    await Promise.all([...[0, 1, 2, 3].map(lateWriter), ...[0, 1, 2, 3].map(commandWriter)]);

    await readSide.waitFor(ALL_PROJECTIONS, await w.head(), 20_000);
    expect(batches).toBeGreaterThan(3); // it was applying batches while the writers ran
    await expectReadModelsToMatchLog(w);
    const shop = await readShop(w.db);
    expect(Object.keys(shop.orders)).toHaveLength(4 * 8 + 4 * 5);
    expect(
      Object.values(shop.customers)
        .map((c) => c.orders)
        .reduce((a, b) => a + b),
    ).toBe(4 * 8 + 4 * 5);
    expect(
      Object.values(shop.inventory)
        .map((i) => i.onHand)
        .reduce((a, b) => a + b),
    ).toBe(3 * 10_000 + 4 * 7);
  });

  it('runs each projection in exactly one of two read sides, and the other takes over when it stops', async () => {
    world = await openWorld();
    const [a, b] = [await world.readSide(), await world.readSide()];
    a.start();
    await expect.poll(() => a.runners.every((r) => r.isActive), { timeout: 10_000, message: 'a active' }).toBe(true);
    b.start();
    for (let sample = 0; sample < 10; sample++) {
      // spans b's first attempt and its retry after 2 s
      for (const runner of a.runners) expect(runner.isActive, runner.projection.name).toBe(true);
      for (const runner of b.runners) expect(runner.isActive, runner.projection.name).toBe(false);
      await sleep(250);
    }
    const expected = await runShop(world, 'ha', async () => {
      await a.waitFor(ALL_PROJECTIONS, await world!.head(), 15_000);
      await a.stop();
      expect(a.runners.some((r) => r.isActive)).toBe(false);
      // On its next retry (every 2 s); the bound is only how long the test waits for it.
      await expect.poll(() => b.runners.every((r) => r.isActive), { timeout: 20_000, message: 'b took over' }).toBe(true);
    });
    await b.waitFor(ALL_PROJECTIONS, await world.head(), 15_000);
    expect(await readShop(world.db, 'ha')).toEqual(expected);
  });

  it('leaves a standby to try for its locks every few seconds, not on every commit the holder applies', async () => {
    world = await openWorld();
    await world.run(addProduct, { sku: 'STANDBY-1', name: 'Standby', priceCents: 100, initialStock: 10 });
    const [a, b] = [await world.readSide(), await world.readSide()];
    a.start();
    await expect.poll(() => a.runners.every((r) => r.isActive), { timeout: 10_000, message: 'a active' }).toBe(true);
    b.start();
    // b's first try for each lock, which fails (a holds them all).
    await sleep(300);
    const tries = vi.spyOn(AdvisoryLockSession.prototype, 'tryAcquire');
    const started = Date.now();
    const commits = 20;
    for (let i = 0; i < commits; i++) {
      const { position } = await world.run(restockProduct, { sku: 'STANDBY-1', quantity: 1 });
      await a.waitFor(ALL_PROJECTIONS, BigInt(position), 5_000);
    }
    const elapsed = Date.now() - started;
    // Each of b's runners tries again once per retry interval (2 s); woken by each commit, it
    // would send a lock attempt per commit and runner (here 20 x 6).
    const rounds = Math.ceil(elapsed / 2_000) + 1;
    expect(tries.mock.calls.length).toBeLessThanOrEqual(b.runners.length * rounds);
    for (const runner of b.runners) expect(runner.isActive, runner.projection.name).toBe(false);
    tries.mockRestore();
  });

  it('polls the log for its head once per second for all its projections while idle, and notices through that poll a commit whose notification was lost', async () => {
    world = await openWorld();
    await world.run(addProduct, { sku: 'IDLE-1', name: 'Idle', priceCents: 100, initialStock: 10 });
    const side = await world.readSide();
    side.start();
    await side.waitFor(ALL_PROJECTIONS, await world.head(), 10_000);
    await sleep(300);
    const heads = vi.spyOn(EventStore.prototype, 'headPosition');
    await sleep(3_000);
    // One read per second answers every runner (it was one per runner: here 3 x 6).
    expect(heads.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(heads.mock.calls.length).toBeLessThanOrEqual(5);
    heads.mockRestore();
    // Commit notifications lost (a listener that missed them): the quiet poll finds the commit.
    const announce = vi.spyOn(CommitNotifier.prototype as unknown as { announce(position: bigint): void }, 'announce');
    announce.mockImplementation(() => {});
    const polls = vi.spyOn(EventStore.prototype, 'headPosition');
    try {
      const { position } = await world.run(restockProduct, { sku: 'IDLE-1', quantity: 1 });
      await side.waitFor(ALL_PROJECTIONS, BigInt(position), 15_000);
      // Nothing announced the commit: the side found it by reading the head.
      expect(announce).toHaveBeenCalled();
      expect(polls).toHaveBeenCalled();
    } finally {
      announce.mockRestore();
      polls.mockRestore();
    }
  });

  it('resolves waitFor once the projection reaches the position, and throws ConsistencyTimeoutError when it cannot', async () => {
    world = await openWorld();
    const readSide = await world.readSide();
    const { position } = await world.run(addProduct, { sku: 'WAIT-1', name: 'Wait', priceCents: 100, initialStock: 1 });
    let settled = false;
    const waiting = readSide.waitFor(['inventory'], BigInt(position), 10_000).finally(() => (settled = true));
    await sleep(400);
    expect(settled).toBe(false); // no runner yet
    readSide.start();
    await waiting;
    expect((await checkpoints(world)).inventory!.position).toBeGreaterThanOrEqual(BigInt(position));

    const beyond = (await world.head()) + 1_000n;
    let given = false;
    const giving = readSide
      .waitFor(['orders', 'inventory'], beyond, 300)
      .catch((e: unknown) => e)
      .finally(() => (given = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(given).toBe(false); // it waits its time before it gives up
    const timeout = await giving;
    expect(timeout).toBeInstanceOf(ConsistencyTimeoutError);
    expect((timeout as Error).message).toContain(`(orders, inventory) did not reach position ${beyond}`);

    await readSide.stop();
    const later = await world.run(restockProduct, { sku: 'WAIT-1', quantity: 1 });
    await expect(readSide.waitFor(['inventory'], BigInt(later.position), 400)).rejects.toBeInstanceOf(ConsistencyTimeoutError);
  });
});

describe('checkpoint moves over commits a projection does not handle', () => {
  it('go out together as one statement per commit, and every projection still reaches each commit at once', async () => {
    world = await openWorld();
    await world.run(addProduct, { sku: 'SK-1', name: 'Skip', priceCents: 100, initialStock: 10 });
    const readSide = await world.readSide();
    readSide.start();
    await readSide.waitFor(ALL_PROJECTIONS, await world.head(), 10_000);
    const before = readSide.skips.statements;
    const restocks = 8;
    for (let i = 0; i < restocks; i++) {
      // Only the inventory applies a restock: the other five projections just move their checkpoints.
      const { position } = await world.run(restockProduct, { sku: 'SK-1', quantity: 1 });
      await readSide.waitFor(ALL_PROJECTIONS, BigInt(position), 15_000);
      for (const [name, checkpoint] of Object.entries(await checkpoints(world)))
        expect(checkpoint.position, name).toBeGreaterThanOrEqual(BigInt(position));
    }
    // One each time, sent when the commit is heard of, not left for the idle poll; a runner woken
    // apart from the others (its idle poll) may send one of its own.
    const statements = readSide.skips.statements - before;
    expect(statements).toBeGreaterThanOrEqual(restocks);
    expect(statements).toBeLessThan(restocks * 2);
    await expectReadModelsToMatchLog(world);
  });

  it('moves each checkpoint only if it is still where its runner left it and nothing in between is for its projection', async () => {
    world = await openWorld();
    const w = world;
    const { position: product } = await w.run(addProduct, { sku: 'SK-2', name: 'Skip', priceCents: 100, initialStock: 10 });
    const { position: restock } = await w.run(restockProduct, { sku: 'SK-2', quantity: 1 });
    const head = BigInt(restock);
    const names = ['skip-clear', 'skip-handles', 'skip-moved', 'skip-failed'];
    for (const name of names) await w.db.prisma.projectionCheckpoint.create({ data: { name, version: 1, position: BigInt(product) } });
    await w.db.prisma.projectionCheckpoint.update({ where: { name: 'skip-moved' }, data: { position: head } });
    await w.db.prisma.projectionCheckpoint.update({ where: { name: 'skip-failed' }, data: { status: 'FAILED' } });
    const announced: string[] = [];
    w.services.readSide.notifications.onProjectionProgress((name, position) => announced.push(`${name}:${position}`));
    const from = BigInt(product);
    const skips = new CheckpointSkips();
    const session = await w.db.pool.connect();
    try {
      const moved = await Promise.all([
        skips.skip(session, { name: 'skip-clear', types: ['OrderCreated', 'ItemAdded'], from, to: head }),
        skips.skip(session, { name: 'skip-handles', types: ['ProductRestocked'], from, to: head }),
        skips.skip(session, { name: 'skip-moved', types: ['OrderCreated'], from, to: head }),
        skips.skip(session, { name: 'skip-failed', types: ['OrderCreated'], from, to: head }),
      ]);
      expect(moved).toEqual([true, false, false, false]);
      expect(skips.statements).toBe(1);
    } finally {
      session.release();
    }
    const positions = Object.fromEntries(
      (await w.db.prisma.projectionCheckpoint.findMany({ where: { name: { in: names } } })).map((c) => [c.name, c.position]),
    );
    expect(positions).toEqual({ 'skip-clear': head, 'skip-handles': from, 'skip-moved': head, 'skip-failed': from });
    await expect.poll(() => announced.includes(`skip-clear:${head}`), { timeout: 5_000, message: 'the move announced' }).toBe(true);
    expect(announced.filter((a) => a.startsWith('skip-'))).toEqual([`skip-clear:${head}`]);
  });
});

describe('a poison event', () => {
  const STATUS = '{ projections { name position status lastError } }';
  const ADMIN_RESULT = '{ __typename ... on ProjectionStatus { name position status lastError } ... on Error { code message } }';

  it('stops only its projection with the position in lastError; retry keeps it failed, skipping it lets it continue', async () => {
    server = await startTestServer();
    const s = server;
    const [staff, admin] = [await clientAs(s, 'staff', 'alice'), await clientAs(s, 'admin', 'root')];
    await command(staff, 'addProduct', { sku: 'P-1', name: 'Plum', priceCents: 100, initialStock: 50 });
    const customerId = (await command(staff, 'registerCustomer', { name: 'Pat', email: 'pat@example.com' })).customer.id;
    await command(staff, 'createOrder', { customerId, orderId: 'po-1' });
    await command(staff, 'addItem', { orderId: 'po-1', sku: 'P-1', quantity: 2 });
    await s.services.readSide.waitFor(ALL_PROJECTIONS, await s.services.eventStore.headPosition(), 10_000);
    await s.services.readSide.stop(); // so that one catch-up batch holds good events before and after the poison
    const lastGood = BigInt((await command(staff, 'createOrder', { customerId, orderId: 'po-0' })).position);
    const append = (version: number, data: Record<string, unknown>) =>
      s.services.eventStore.append({
        streams: [{ streamId: 'Order-po-1', streamType: 'Order', expectedVersion: version, events: [{ type: 'ItemAdded', data }] }],
      });
    const poison = BigInt((await append(2, { sku: 'P-2', name: 'Bad', quantity: 'lots', unitPriceCents: 100 })).lastPosition);
    await command(staff, 'addProduct', { sku: 'P-3', name: 'Pear', priceCents: 300, initialStock: 5 });
    await command(staff, 'registerCustomer', { name: 'Quinn', email: 'quinn@example.com' });
    const head = BigInt((await command(staff, 'createOrder', { customerId, orderId: 'po-2' })).position);
    s.services.readSide.start();
    await s.services.readSide.waitFor(['inventory', 'customers'], head, 10_000);
    type Status = { name: string; position: string; status: string; lastError: string | null };
    const statuses = async (): Promise<Record<string, Status>> =>
      Object.fromEntries(((await admin.run(STATUS)).projections as Status[]).map((p) => [p.name, p]));
    const failed = await vi.waitFor(
      async () => {
        const now = await statuses();
        expect(now.orders!.status, 'orders FAILED').toBe('FAILED');
        return now;
      },
      { timeout: 10_000 },
    );
    expect(failed.orders).toMatchObject({ status: 'FAILED', position: lastGood.toString() });
    expect(failed.orders!.lastError).toContain(`event at position ${poison}`);
    const orderIds = async () => (await s.services.db.prisma.orderSummary.findMany({ orderBy: { orderId: 'asc' } })).map((o) => o.orderId);
    expect(await orderIds()).toEqual(['po-0', 'po-1']); // what came before the poison was applied, nothing after it
    for (const name of ['inventory', 'customers'])
      expect(failed[name]).toMatchObject({ status: 'RUNNING', position: head.toString(), lastError: null });
    await expect(s.services.readSide.waitFor(['orders'], head, 300)).rejects.toBeInstanceOf(ConsistencyTimeoutError);

    const retried = (await admin.run(`mutation { retryProjection(input: { name: "orders" }) ${ADMIN_RESULT} }`)).retryProjection;
    expect(retried).toMatchObject({ __typename: 'ProjectionStatus', status: 'RUNNING' });
    const refailed = await vi.waitFor(
      async () => {
        const now = await statuses();
        expect(now.orders!.status, 'orders FAILED again').toBe('FAILED');
        return now;
      },
      { timeout: 10_000 },
    );
    expect(refailed.orders).toMatchObject({ position: lastGood.toString() });
    expect(refailed.orders!.lastError).toContain(`event at position ${poison}`);

    const skipped = (await admin.run(`mutation { skipProjectionEvent(input: { name: "orders" }) ${ADMIN_RESULT} }`)).skipProjectionEvent;
    expect(skipped).toMatchObject({ __typename: 'ProjectionStatus', status: 'RUNNING', position: poison.toString(), lastError: null });
    const after = BigInt((await append(3, { sku: 'P-1', name: 'Plum', quantity: 1, unitPriceCents: 100 })).lastPosition);
    await s.services.readSide.waitFor(['orders'], after, 10_000);
    const summaries = await s.services.db.prisma.orderSummary.findMany({ orderBy: { orderId: 'asc' } });
    expect(summaries.map((o) => [o.orderId, o.version, o.itemCount, o.totalCents])).toEqual([
      ['po-0', 1, 0, 0],
      ['po-1', 4, 3, 300],
      ['po-2', 1, 0, 0],
    ]);
    expect((await statuses()).orders).toMatchObject({ status: 'RUNNING', position: after.toString(), lastError: null });
  });
});
