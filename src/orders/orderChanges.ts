import type { Database } from '../db/database.js';
import type { LiveSource } from '../live/liveSource.js';
import { findOrder } from './orderReads.js';
import type { OrderView } from './orderView.js';

/** An order event as the live feed pushes it: a row of the history read table. */
export interface OrderChange {
  position: bigint;
  orderId: string;
  version: number;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  /** The order as the read side has it now; read once per change, however many subscribers ask. */
  order(): Promise<OrderView | null>;
}

/** An OrderChange for a history row (live, or read for a replay). */
export function orderChangeFrom(
  row: { position: bigint; orderId: string; version: number; type: string; occurredAt: Date; data: unknown },
  db: Pick<Database, 'pool'>,
): OrderChange {
  let order: Promise<OrderView | null> | undefined;
  // Read once and shared; a failed read (the database away for a moment) is forgotten, so it can be retried.
  const read = () =>
    findOrder(db, row.orderId).catch((error: unknown) => {
      order = undefined;
      throw error;
    });
  return { ...row, data: row.data as Record<string, unknown>, order: () => (order ??= read()) };
}

/** Every order event the orders projection committed, from its history table: `order` and `order:<id>`. */
export const orderLiveSource: LiveSource<OrderChange> = {
  projection: 'orders',
  kind: 'order',
  async read(db, after, upTo) {
    // A prepared pg statement rather than Prisma: this runs after every projection batch.
    const { rows } = await db.pool.query<{
      position: string;
      order_id: string;
      version: number;
      type: string;
      occurred_at: Date;
      data: unknown;
    }>({
      name: 'live-order-changes',
      text: 'SELECT position::text, order_id, version, type, occurred_at, data FROM order_history WHERE position > $1 AND position <= $2 ORDER BY position',
      values: [after.toString(), upTo.toString()],
    });
    return rows.map(({ position, order_id: orderId, version, type, occurred_at: occurredAt, data }) => ({
      key: orderId,
      position: BigInt(position),
      change: orderChangeFrom({ position: BigInt(position), orderId, version, type, occurredAt, data }, db),
    }));
  },
};
