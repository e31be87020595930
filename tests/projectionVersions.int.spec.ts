import { afterEach, describe, expect, it, vi } from 'vitest';
import { dumpTables, openWorld, runShop, type World } from './fixtures/projectionWorld.js';
import { EventStore } from '../src/eventStore/eventStore.js';
import { FEATURES } from '../src/features.js';
import { createLogger } from '../src/logger.js';
import { ordersProjection } from '../src/orders/orderProjection.js';
import { inventoryProjection } from '../src/products/inventoryProjection.js';
import { upcastersOf } from '../src/services.js';
import type { Projection } from '../src/projections/projection.js';
import { ReadSide } from '../src/projections/readSide.js';

let world: World | undefined;
const opened: { readSide: ReadSide; store: EventStore }[] = [];
afterEach(async () => {
  for (const { readSide, store } of opened.splice(0)) {
    await readSide.stop();
    await store.stop();
  }
  await world?.close();
  world = undefined;
});

/** A read side of its own (as another server process would have), running only `projections`. */
async function startReadSide(w: World, projections: Projection[]): Promise<ReadSide> {
  const db = w.testDb.connect({ poolSize: 4 });
  // Reading the log as a server process does: the orders projection reads customer events too,
  // stored in newer shapes than their first.
  const store = new EventStore(db, undefined, undefined, { upcasters: upcastersOf(FEATURES) });
  await store.start();
  const readSide = new ReadSide({ db, eventStore: store, logger: createLogger('silent') }, projections);
  opened.push({ readSide, store });
  readSide.start();
  return readSide;
}

/** `ordersProjection` at `version`, whose rebuild waits until `open()` is called. */
function gatedOrders(version: number) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const bulk = ordersProjection.rebuild!;
  const projection: Projection = {
    ...ordersProjection,
    version,
    apply: async (tx, events) => (await gate, ordersProjection.apply(tx, events)),
    rebuild: { ...bulk, fold: async (tx, state, events) => (await gate, bulk.fold(tx, state, events)) },
  };
  return { projection, open };
}

/** The orders projection's version in this code; the tests build the next one beside it. */
const CURRENT = ordersProjection.version;

const checkpoint = (w: World, name: string) => w.db.prisma.projectionCheckpoint.findUniqueOrThrow({ where: { name } });

describe('projection versions', () => {
  it('rebuilds a projection whose version changed beside the serving tables, in one process, then swaps them in', async () => {
    world = await openWorld();
    await runShop(world, 'v');
    const current = await startReadSide(world, [ordersProjection]);
    await current.waitFor(['orders'], await world.head(), 15_000);
    const served = await dumpTables(world.db.pool, ordersProjection.tables);
    const before = await checkpoint(world, 'orders');
    expect(before.version).toBe(CURRENT);
    await current.stop();

    const next = gatedOrders(CURRENT + 1);
    const [a, b] = [await startReadSide(world, [next.projection]), await startReadSide(world, [next.projection])];
    await expect
      .poll(async () => (await checkpoint(world!, 'orders')).status === 'REBUILDING', { timeout: 10_000, message: 'REBUILDING' })
      .toBe(true);
    // The old tables keep serving, untouched, and only one process rebuilds.
    expect(await dumpTables(world.db.pool, ordersProjection.tables)).toEqual(served);
    expect([a, b].filter((side) => side.runners[0]!.isRebuilding)).toHaveLength(1);
    // consistentWith a position the old tables reached answers from them at once.
    await a.waitFor(['orders'], before.position, 1_000);

    next.open();
    await expect
      .poll(async () => (await checkpoint(world!, 'orders')).version === CURRENT + 1, {
        timeout: 15_000,
        message: 'the next version swapped in',
      })
      .toBe(true);
    expect(await checkpoint(world, 'orders')).toMatchObject({ status: 'RUNNING', position: before.position, lastError: null });
    expect(await dumpTables(world.db.pool, ordersProjection.tables)).toEqual(served);

    // The live runner carries on from the swap with the new version.
    const more = await runShop(world, 'after');
    await a.waitFor(['orders'], await world.head(), 15_000);
    expect(Object.keys(more.orders).length).toBeGreaterThan(0);
    const { rows } = await world.db.pool.query('SELECT count(*)::int AS n FROM order_summaries WHERE order_id LIKE $1', ['%after%']);
    expect(rows[0].n).toBe(Object.keys(more.orders).length);
  });

  it('builds a projection never run before from position 0 while the others serve, and waitFor honours it', async () => {
    world = await openWorld();
    await runShop(world, 'new');
    const head = await world.head();
    const side = await startReadSide(world, [inventoryProjection]);
    await side.waitFor(['inventory'], head, 15_000);
    expect(await checkpoint(world, 'inventory')).toMatchObject({ version: inventoryProjection.version, status: 'RUNNING', position: head });
    const { rows } = await world.db.pool.query('SELECT count(*)::int AS n FROM inventory');
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('leaves tables built by a newer release alone and stands by', async () => {
    world = await openWorld();
    await world.db.prisma.projectionCheckpoint.create({ data: { name: 'orders', version: CURRENT + 1 } });
    await runShop(world, 'newer');
    const side = await startReadSide(world, [ordersProjection]);
    // Asserting that nothing happens needs a wait: longer than a runner takes to claim its lock.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await checkpoint(world, 'orders')).toMatchObject({ version: CURRENT + 1, status: 'RUNNING', position: 0n });
    expect(side.runners[0]!.isRebuilding).toBe(false);
  });

  it('marks a rebuild that fails FAILED, keeps the old tables serving, and does not try again until retried', async () => {
    world = await openWorld();
    await world.db.prisma.projectionCheckpoint.create({ data: { name: 'orders', version: CURRENT } });
    await runShop(world, 'bad');
    let attempts = 0;
    const broken: Projection = {
      ...ordersProjection,
      version: CURRENT + 1,
      apply: async () => {
        attempts += 1;
        throw new Error('cannot fold this');
      },
      rebuild: {
        ...ordersProjection.rebuild!,
        fold: async () => {
          attempts += 1;
          throw new Error('cannot fold this');
        },
      },
    };
    await startReadSide(world, [broken]);
    const failed = await vi.waitFor(
      async () => {
        const row = await checkpoint(world!, 'orders');
        expect(row.status).toBe('FAILED');
        return row;
      },
      { timeout: 10_000 },
    );
    expect(failed).toMatchObject({ version: CURRENT, lastError: `rebuilding version ${CURRENT + 1}: cannot fold this` });
    const tried = attempts;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(attempts).toBe(tried);
    const { rows } = await world.db.pool.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'rebuild_orders'`);
    expect(rows[0].n).toBe(0);
  });
});
