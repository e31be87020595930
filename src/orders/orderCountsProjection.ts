import type pg from 'pg';
import type { RecordedEvent } from '../eventStore/types.js';
import type { Projection } from '../projections/projection.js';
import { ORDER_TRANSITIONS, transitionOf } from './orderStatus.js';

/**
 * How many orders are in each status, moved by each status-changing event: one row per status.
 * `orders { totalCount }` reads it instead of counting the order summaries, which takes time in
 * proportion to every order the shop ever had. Events reach it in position order, once per batch
 * transaction with the checkpoint; the rows' highest `last_position` is how far it has counted,
 * and an event at or below it was counted already.
 */
export const orderCountsProjection: Projection = {
  name: 'orderCounts',
  version: 1,
  eventTypes: Object.entries(ORDER_TRANSITIONS).flatMap(([type, transition]) => (transition ? [type] : [])),
  tables: ['order_status_counts'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const { rows } = await tx.query<{ counted: string }>({
      name: 'order-counts-counted',
      text: 'SELECT coalesce(max(last_position), 0)::text AS counted FROM order_status_counts',
    });
    const counted = BigInt(rows[0]!.counted);
    const fresh = events.filter((e) => e.position > counted);
    if (fresh.length === 0) return;
    const changes = statusCountChanges(fresh);
    await tx.query({
      name: 'order-counts-add',
      text: `INSERT INTO order_status_counts (status, orders, last_position)
             SELECT status, change, $3::bigint FROM unnest($1::text[], $2::bigint[]) AS c(status, change)
             ON CONFLICT (status) DO UPDATE SET orders = order_status_counts.orders + EXCLUDED.orders, last_position = EXCLUDED.last_position`,
      values: [[...changes.keys()], [...changes.values()], fresh.at(-1)!.position.toString()],
    });
  },
};

/** Each status's change in count over `events`: +1 where an order arrives, -1 where it leaves. */
export function statusCountChanges(events: readonly Pick<RecordedEvent, 'type' | 'data'>[]): Map<string, number> {
  const changes = new Map<string, number>();
  const add = (status: string, by: number) => changes.set(status, (changes.get(status) ?? 0) + by);
  for (const event of events) {
    const transition = transitionOf(event.type);
    if (!transition) continue;
    // A cancellation records the status it left; every other transition leaves exactly one.
    const from = event.type === 'OrderCancelled' ? (event.data as { previousStatus?: string }).previousStatus : transition.from[0];
    if (from) add(from, -1);
    add(transition.to, 1);
  }
  return changes;
}
