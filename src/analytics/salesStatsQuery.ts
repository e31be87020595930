import type pg from 'pg';
import { requireStaff } from '../auth/actor.js';
import { ValidationError } from '../domain/errors.js';
import type { Builder } from '../graphql/builder.js';
import { consistentWithArg, readConsistently } from '../graphql/consistency.js';
import { readDbOf } from '../graphql/readRouting.js';

/** The most buckets one `salesStats` answers: enough for a day by minute or three years by day. */
export const MAX_BUCKETS = 1_000;

const BUCKET_MS = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 } as const;
export type Bucket = keyof typeof BUCKET_MS;

export interface SalesBucket {
  start: Date;
  ordersCreated: number;
  ordersSubmitted: number;
  ordersPaid: number;
  ordersCancelled: number;
  ordersExpired: number;
  revenueCents: number;
  refundsCents: number;
}

/**
 * The starts of the buckets that cover `from` up to `to` (the first one aligned down to its width,
 * in UTC), or a VALIDATION_FAILED that says why there are none or too many.
 */
export function bucketStarts(from: Date, to: Date, bucket: Bucket): Date[] {
  const width = BUCKET_MS[bucket];
  if (!(to.getTime() > from.getTime())) throw new ValidationError([{ path: 'to', message: 'must be after `from`' }]);
  const first = Math.floor(from.getTime() / width) * width;
  const count = Math.ceil((to.getTime() - first) / width);
  if (count > MAX_BUCKETS) {
    throw new ValidationError([
      { path: 'bucket', message: `${count} ${bucket} buckets asked for; at most ${MAX_BUCKETS}: use a wider bucket or a shorter range` },
    ]);
  }
  return Array.from({ length: count }, (_, i) => new Date(first + i * width));
}

// Every bucket is returned, empty ones as zeros (a chart has no holes): the buckets are the left
// side of the join, each summing the minutes inside it.
const SALES_STATS_SQL = `
  SELECT b.start,
         coalesce(sum(m.orders_created), 0)::int AS "ordersCreated",
         coalesce(sum(m.orders_submitted), 0)::int AS "ordersSubmitted",
         coalesce(sum(m.orders_paid), 0)::int AS "ordersPaid",
         coalesce(sum(m.orders_cancelled), 0)::int AS "ordersCancelled",
         coalesce(sum(m.orders_expired), 0)::int AS "ordersExpired",
         coalesce(sum(m.revenue_cents), 0)::float8 AS "revenueCents",
         coalesce(sum(m.refunds_cents), 0)::float8 AS "refundsCents"
  FROM unnest($1::timestamptz[]) AS b(start)
  LEFT JOIN sales_minutes m ON m.minute >= b.start AND m.minute < b.start + $2::interval
  GROUP BY b.start ORDER BY b.start`;

/**
 * PostgreSQL plans a prepared statement's array parameter as 10 elements in its cached generic
 * plan, but sees the real count in a custom plan. Below 10 buckets the custom plan then looks
 * cheaper, and on a large `sales_minutes` (a year of minutes) PostgreSQL plans the statement anew
 * on every call: 0.08 ms of planning, a third of the query. Padding to 10 buckets that hold
 * nothing (`infinity`) keeps the cached plan whatever the table's size.
 */
const PLANNED_BUCKETS = 10;
function planCachedBuckets(starts: readonly Date[]): string[] {
  const isoStarts = starts.map((s) => s.toISOString());
  while (isoStarts.length < PLANNED_BUCKETS) isoStarts.push('infinity');
  return isoStarts;
}

/** The figures of each bucket starting at `starts` (as {@link bucketStarts} gives them), zeros included. */
export async function readSalesBuckets(db: Pick<pg.ClientBase, 'query'>, starts: readonly Date[], bucket: Bucket): Promise<SalesBucket[]> {
  const { rows } = await db.query<SalesBucket>({
    name: 'sales-stats',
    text: SALES_STATS_SQL,
    values: [planCachedBuckets(starts), `${BUCKET_MS[bucket]} milliseconds`],
  });
  // The padding sorts last, as one group.
  return rows.slice(0, starts.length);
}

/** Adds this slice's GraphQL to a schema builder. */
export function salesStatsQuery(builder: Builder): void {
  const StatsBucketEnum = builder.enumType('StatsBucket', {
    description: 'The width of a `salesStats` bucket (UTC).',
    values: ['MINUTE', 'HOUR', 'DAY'] as const,
  });

  const SalesBucketType = builder.objectRef<SalesBucket>('SalesBucket').implement({
    description: 'What happened to orders in one bucket of time: each event counts in the bucket it occurred in.',
    fields: (t) => ({
      start: t.field({ type: 'DateTime', resolve: (b) => b.start }),
      ordersCreated: t.exposeInt('ordersCreated'),
      ordersSubmitted: t.exposeInt('ordersSubmitted'),
      ordersPaid: t.exposeInt('ordersPaid'),
      ordersCancelled: t.exposeInt('ordersCancelled'),
      ordersExpired: t.exposeInt('ordersExpired'),
      revenueCents: t.exposeFloat('revenueCents', {
        description: 'Payments recorded, in cents (a Float: sums pass the 32-bit Int range).',
      }),
      refundsCents: t.exposeFloat('refundsCents', { description: 'Refunds recorded, in cents.' }),
    }),
  });

  builder.queryField('salesStats', (t) =>
    t.field({
      type: [SalesBucketType],
      description: 'Orders and money per bucket of time from `from` to `to` (staff), kept by the `sales` projection.',
      args: {
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
        bucket: t.arg({ type: StatsBucketEnum, required: false, defaultValue: 'HOUR' }),
        consistentWith: t.arg.string(consistentWithArg),
      },
      resolve: async (_root, args, ctx) => {
        requireStaff(ctx.auth);
        const bucket = args.bucket ?? 'HOUR';
        const starts = bucketStarts(args.from, args.to, bucket);
        await readConsistently(ctx, ['sales'], args.consistentWith);
        return readSalesBuckets(readDbOf(ctx).pool, starts, bucket);
      },
    }),
  );
}
