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
    const touched = lastPositionPerStatus(fresh);
    await tx.query({
      name: 'order-counts-add',
      text: `INSERT INTO order_status_counts (status, orders, last_position)
             SELECT status, change, last FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS c(status, change, last)
             ON CONFLICT (status) DO UPDATE SET orders = order_status_counts.orders + EXCLUDED.orders, last_position = EXCLUDED.last_position`,
      values: [[...changes.keys()], [...changes.values()], [...changes.keys()].map((status) => touched.get(status)!.toString())],
    });
  },
};

/** The statuses one event moves an order between (none for an event that changes no status). */
function statusMove(event: Pick<RecordedEvent, 'type' | 'data'>): { from?: string; to: string } | undefined {
  const transition = transitionOf(event.type);
  if (!transition) return undefined;
  // A cancellation records the status it left; every other transition leaves exactly one.
  const from = event.type === 'OrderCancelled' ? (event.data as { previousStatus?: string }).previousStatus : transition.from[0];
  return { from, to: transition.to };
}

/** Each status's change in count over `events`: +1 where an order arrives, -1 where it leaves. */
export function statusCountChanges(events: readonly Pick<RecordedEvent, 'type' | 'data'>[]): Map<string, number> {
  const changes = new Map<string, number>();
  const add = (status: string, by: number) => changes.set(status, (changes.get(status) ?? 0) + by);
  for (const event of events) {
    const move = statusMove(event);
    if (!move) continue;
    if (move.from) add(move.from, -1);
    add(move.to, 1);
  }
  return changes;
}

/**
 * The position of the last event that moved an order into or out of each status. A row keeps its
 * own (not its batch's last position), so the rows are the same however the log was cut into
 * batches: applied live a few events at a time, or rebuilt in one pass.
 */
function lastPositionPerStatus(events: readonly RecordedEvent[]): Map<string, bigint> {
  const last = new Map<string, bigint>();
  for (const event of events) {
    const move = statusMove(event);
    if (!move) continue;
    if (move.from) last.set(move.from, event.position);
    last.set(move.to, event.position);
  }
  return last;
}
