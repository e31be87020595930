import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../generated/prisma/client.js';
import { createLogger } from '../logger.js';
import { ReadModelConsistency } from '../projections/consistency.js';
import { OrderViewCache } from './orderCache.js';

interface StoredOrder {
  version: number;
  position: bigint;
}

/**
 * The order read tables and the history table as a fake pool answers them, with the reads of an
 * order held until released when a test needs to interleave a change with a read in flight.
 */
function fakeReadSide(maxEntries = 100) {
  const orders = new Map<string, StoredOrder>();
  const history: { position: bigint; orderId: string }[] = [];
  const held: (() => void)[] = [];
  let projectionVersion = 1;
  let holding = false;
  let orderReads = 0;
  const pool = {
    async query(config: { name: string; values: string[] }) {
      if (config.name === 'find-order') {
        orderReads++;
        // The row as the database has it when the read runs; the answer may arrive later.
        const stored = orders.get(config.values[0]!);
        const row = stored && { ...stored };
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        if (!row) return { rows: [] };
        const at = new Date('2026-01-01T00:00:00Z');
        return {
          rows: [
            {
              order_id: config.values[0],
              customer_id: 'c-1',
              status: 'DRAFT',
              item_count: row.version,
              total_cents: 100 * row.version,
              version: row.version,
              created_at: at,
              updated_at: at,
              last_position: row.position.toString(),
              items: [],
            },
          ],
        };
      }
      if (config.name === 'order-cache-changed') {
        const [after, upTo] = config.values.slice(0, 2).map(BigInt) as [bigint, bigint];
        return {
          rows: [
            {
              version: projectionVersion,
              changed: [...new Set(history.filter((h) => h.position > after && h.position <= upTo).map((h) => h.orderId))],
            },
          ],
        };
      }
      throw new Error(`unexpected query ${config.name}`);
    },
  };
  let progress: (name: string, position: bigint) => void = () => {};
  let reconnect: () => void = () => {};
  const notifier = {
    latest: 0n,
    onProjectionProgress: (listener: typeof progress) => ((progress = listener), () => {}),
    onReconnect: (listener: typeof reconnect) => ((reconnect = listener), () => {}),
  };
  const prisma = { projectionCheckpoint: { findMany: async () => [] } } as unknown as PrismaClient;
  const consistency = new ReadModelConsistency(prisma, notifier, notifier);
  let head = 0n;
  return {
    cache: new OrderViewCache(
      { pool, health: { trouble: () => undefined } } as never,
      () => true,
      consistency,
      createLogger('silent'),
      maxEntries,
    ),
    consistency,
    get orderReads() {
      return orderReads;
    },
    /** A rebuild for a new version swapped in tables where `orderId` changed, with no new event. */
    rebuild(orderId: string): void {
      projectionVersion++;
      const stored = orders.get(orderId)!;
      orders.set(orderId, { ...stored, version: stored.version + 100 });
    },
    /** An order event committed by the projection (rows and history), not yet announced. */
    change(orderId: string): bigint {
      head++;
      const version = (orders.get(orderId)?.version ?? 0) + 1;
      orders.set(orderId, { version, position: head });
      history.push({ position: head, orderId });
      return head;
    },
    /** The projection's batch up to `position` announced to this process. */
    announce(position: bigint) {
      progress('orders', position);
    },
    reconnect: () => reconnect(),
    hold() {
      holding = true;
    },
    /** Reads from now on answer at once; those held stay held until `release`. */
    stopHolding() {
      holding = false;
    },
    release() {
      holding = false;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

/** Lets queued invalidations (a promise chain of fake queries) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('the order view cache', () => {
  it('answers a repeated read from memory while nothing changes the order', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    expect((await side.cache.read('o-1'))?.version).toBe(1);
    expect((await side.cache.read('o-1'))?.version).toBe(1);
    expect(side.orderReads).toBe(1);
  });

  it('forgets an order when a batch that changed it is announced, and only that order', async () => {
    const side = fakeReadSide();
    side.change('o-1');
    side.announce(side.change('o-2'));
    await settle();
    await side.cache.read('o-1');
    await side.cache.read('o-2');
    side.announce(side.change('o-1'));
    await settle();
    expect((await side.cache.read('o-1'))?.version).toBe(2);
    expect((await side.cache.read('o-2'))?.version).toBe(1);
    expect(side.orderReads).toBe(3);
  });

  it('never answers from memory once a batch is heard of until its changes are forgotten (so consistentWith holds)', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    await side.cache.read('o-1');
    const position = side.change('o-1');
    // Heard of (a consistentWith wait for it returns now) but its invalidation not yet run.
    side.announce(position);
    expect(side.consistency.reached(['orders'], position)).toBe(true);
    expect((await side.cache.read('o-1'))?.version).toBe(2);
  });

  it('does not keep an answer read while a batch changing the order was being forgotten', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    side.hold();
    const inFlight = side.cache.read('o-1'); // reads version 1, answers later
    await settle();
    side.announce(side.change('o-1'));
    await settle();
    side.release();
    expect((await inFlight)?.version).toBe(1);
    expect((await side.cache.read('o-1'))?.version).toBe(2);
  });

  it('never goes back to an older version than one it already gave for the order, even after forgetting the newer one', async () => {
    const side = fakeReadSide(1);
    side.announce(side.change('o-1'));
    await settle();
    side.hold();
    const older = side.cache.read('o-1'); // sees version 1, answers late
    await settle();
    side.stopHolding();
    side.change('o-1'); // committed, not announced yet
    expect((await side.cache.read('o-1'))?.version).toBe(2);
    await side.cache.read('o-2'); // pushes the newer entry out (room for one)
    side.release();
    expect((await older)?.version).toBe(1);
    // The late older answer must not have been kept.
    expect((await side.cache.read('o-1'))?.version).toBe(2);
  });

  it('forgets everything when progress signals may have been missed', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    await side.cache.read('o-1');
    side.change('o-1'); // its announcement is lost with the connection
    side.reconnect();
    expect((await side.cache.read('o-1'))?.version).toBe(2);
  });

  it('forgets everything when the orders projection has a new version (a rebuild swapped its tables without new events)', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    expect((await side.cache.read('o-1'))?.version).toBe(1);
    side.rebuild('o-1');
    side.announce(side.change('o-2')); // the swap is announced as progress
    await settle();
    expect((await side.cache.read('o-1'))?.version).toBe(101);
  });

  it('shares its views read-only: a caller cannot change what the next one gets', async () => {
    const side = fakeReadSide();
    side.announce(side.change('o-1'));
    await settle();
    const view = await side.cache.read('o-1');
    expect(() => {
      (view as { status: string }).status = 'PAID';
    }).toThrow();
    expect((await side.cache.read('o-1'))?.status).toBe('DRAFT');
  });
});
