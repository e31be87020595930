import DataLoader from 'dataloader';
import { ValidationError } from '../domain/errors.js';
import type { EventData } from '../eventStore/upcasting.js';
import { definedOnce, type Builder } from '../graphql/builder.js';
import { parsePosition } from '../graphql/consistency.js';
import type { GraphQLContext } from '../graphql/context.js';
import { readDbOf, readPositionReached, waitForReadPosition } from '../graphql/readRouting.js';
import { orderTypes } from './orderTypes.js';

const ORDERS = ['orders'] as const;

/** The most entries one `Order.history` returns, and how many it returns unasked. */
export const HISTORY_PAGE_SIZE = 100;

export interface HistoryEntry {
  position: string;
  version: number;
  type: string;
  occurredAt: Date;
  data: unknown;
}

interface Page {
  /** Entries after this log position (0: from the first). */
  after: bigint;
  /** At most this many per order; undefined: all of them. */
  limit?: number;
}

/**
 * One history query per request and page for all the orders whose history is asked for: each
 * order's entries after the position, oldest first, at most `limit` of each (a window over the
 * order's entries, so a long history costs the page, not the whole of it).
 */
const historyLoaders = new WeakMap<object, Map<string, DataLoader<string, HistoryEntry[]>>>();
export function historyLoader(ctx: GraphQLContext, page: Page = { after: 0n }): DataLoader<string, HistoryEntry[]> {
  let loaders = historyLoaders.get(ctx);
  if (!loaders) historyLoaders.set(ctx, (loaders = new Map()));
  const key = `${page.after}:${page.limit ?? ''}`;
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const { rows } = await readDbOf(ctx).pool.query<{
        position: string;
        order_id: string;
        version: number;
        type: string;
        occurred_at: Date;
        data: EventData;
        schema_version: number;
      }>(
        `SELECT position::text, order_id, version, type, occurred_at, data, schema_version FROM (
           SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY version) AS n
             FROM order_history WHERE order_id = ANY($1::text[]) AND position > $2::bigint
         ) page WHERE $3::int IS NULL OR n <= $3::int ORDER BY order_id, version`,
        [ids, page.after.toString(), page.limit ?? null],
      );
      const { upcasters } = ctx.services.eventStore;
      const byOrder = new Map<string, HistoryEntry[]>(ids.map((id) => [id, []]));
      for (const row of rows) {
        byOrder.get(row.order_id)?.push({
          position: row.position,
          version: row.version,
          type: row.type,
          occurredAt: row.occurred_at,
          data: upcasters.upcastData(row.type, row.schema_version, row.data),
        });
      }
      return ids.map((id) => byOrder.get(id)!);
    });
    loaders.set(key, loader);
  }
  return loader;
}

/** An order's history entries, defined once per schema builder. */
export const orderHistoryEntryType = definedOnce((builder) => {
  return builder.objectRef<HistoryEntry>('OrderHistoryEntry').implement({
    description: "One event in an order's life.",
    fields: (t) => ({
      position: t.exposeString('position'),
      version: t.exposeInt('version'),
      type: t.exposeString('type'),
      occurredAt: t.field({ type: 'DateTime', resolve: (e) => e.occurredAt }),
      data: t.field({ type: 'JSON', resolve: (e) => e.data }),
    }),
  });
});

/** Adds `Order.history` (paged) to a schema builder. */
export function orderHistoryField(builder: Builder): void {
  const { OrderType } = orderTypes(builder);
  const OrderHistoryEntryType = orderHistoryEntryType(builder);
  builder.objectField(OrderType, 'history', (t) =>
    t.field({
      type: [OrderHistoryEntryType],
      description: `The order's events, oldest first (from the history read table), a page at a time: at most \`first\` (default and at most ${HISTORY_PAGE_SIZE}) after the entry at position \`after\` (the \`position\` of the last entry you have).`,
      args: {
        first: t.arg.int({ required: false, defaultValue: HISTORY_PAGE_SIZE }),
        after: t.arg.string({ required: false }),
      },
      resolve: async (order, args, ctx) => {
        const first = args.first ?? HISTORY_PAGE_SIZE;
        if (first < 0 || first > HISTORY_PAGE_SIZE) {
          throw new ValidationError([{ path: 'first', message: `must be between 0 and ${HISTORY_PAGE_SIZE}` }]);
        }
        const after = parsePosition(args.after, 'after') ?? 0n;
        // An order straight from a command result may be ahead of the read side by a moment (and
        // one from the primary ahead of a replica).
        const position = order.position ? BigInt(order.position) : undefined;
        if (position !== undefined && !readPositionReached(ctx, ORDERS, position)) await waitForReadPosition(ctx, ORDERS, position);
        if (first === 0) return [];
        return historyLoader(ctx, { after, limit: first }).load(order.id);
      },
    }),
  );
}
