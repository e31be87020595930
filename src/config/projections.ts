import { z } from 'zod';
import { commaList, trueOrFalse, type SettingValues } from './settingTypes.js';

/** Which projections a process runs, and the reads that wait on them or cache what they wrote. */
export const projectionSettings = {
  RUN_PROJECTIONS: trueOrFalse
    .default('true')
    .describe(
      '`false`: this process only serves (queries still wait on, and subscriptions still push, the projections another process runs; it fires no payment deadlines and delivers no webhooks, bus messages or emails either)',
    ),
  PROJECTIONS: commaList
    .pipe(z.array(z.string()).min(1, 'must name at least one projection (leave it unset to run them all)'))
    .optional()
    .meta({ unset: 'unset (all)' })
    .describe(
      'comma-separated names of the projections this process competes to run (`orders`, `orderCounts`, `paymentDeadlines`, `customers`, `inventory`, `sales`, `search`, and `reactions`, the fan-out to webhooks, the event bus and customer emails, whose deliveries are made only by processes that run it, so command servers can leave that work to a process of its own); the others are left to processes that name them, so heavy read models can run in a process of their own (reads wait on whichever process runs the projection they need). An unknown name stops the start; not allowed with `RUN_PROJECTIONS=false`',
    ),
  CONSISTENCY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(5_000)
    .describe('how long a `consistentWith` read waits for the projections'),
  CONSISTENCY_MAX_WAITS_PER_REQUEST: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .describe(
      'distinct `consistentWith` waits one operation may hold at once (every field of a request waiting on the same position shares one wait); beyond it the field answers `TOO_MANY_CONSISTENCY_WAITS` (`scope: request`)',
    ),
  CONSISTENCY_MAX_WAITS_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(200)
    .describe(
      '`consistentWith` waits one caller (token subject, or client address when anonymous) may hold at once, per process; beyond it the field answers `TOO_MANY_CONSISTENCY_WAITS` (`scope: client`) at once instead of queueing',
    ),
  ORDER_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(10_000)
    .describe(
      "order views each process keeps in memory for `order(id)` (and `orderHistory`'s visibility check); each is forgotten when an orders projection batch changes its order, and reads go to the read tables until this process has forgotten what every batch it heard of changed, so `consistentWith` holds; `0` turns this off",
    ),
  SEARCH_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(1_000)
    .describe(
      "`searchOrders` pages each process keeps in memory (per query, caller's scope and page); all are forgotten whenever a batch of the search or orders projection is heard of, so `consistentWith` holds; `0` turns this off",
    ),
};

/** The part of `Config` these settings make. */
export function projectionConfig(v: SettingValues<typeof projectionSettings>) {
  return {
    runProjections: v.RUN_PROJECTIONS === 'true',
    /** Unset: all of them. Checked against the service's projections by `checkProjectionNames`. */
    projections: v.PROJECTIONS,
    consistencyTimeoutMs: v.CONSISTENCY_TIMEOUT_MS,
    consistencyMaxWaitsPerRequest: v.CONSISTENCY_MAX_WAITS_PER_REQUEST,
    consistencyMaxWaitsPerClient: v.CONSISTENCY_MAX_WAITS_PER_CLIENT,
    orderCacheEntries: v.ORDER_CACHE_ENTRIES,
    searchCacheEntries: v.SEARCH_CACHE_ENTRIES,
  };
}
