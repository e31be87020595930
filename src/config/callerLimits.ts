import { z } from 'zod';
import type { SettingValues } from './settingTypes.js';

/** What one caller may do over time: mutations, sign-ups, and the stock its open orders hold. */
export const callerLimitSettings = {
  RATE_LIMIT_MUTATIONS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(6_000)
    .describe(
      "mutations per minute per token subject and, for anonymous and customer callers (identities anyone can make by signing up), as many per client address too, so fresh sign-ups bring no fresh allowance (staff, admin and payments tokens count per subject only): 100 a second sustained, bursts up to the whole minute's allowance, so a busy checkout client never meets it; past it `RATE_LIMITED` (HTTP 429). Behind a proxy every client has the proxy's address: raise it there. `0` turns it off. Shared by every server process: the buckets live in Redis when `REDIS_URL` is set (one atomic script per mutation), else in PostgreSQL (one UPSERT on the UNLOGGED `rate_limit_buckets`); if that store cannot answer, the mutation is let through and a warning logged",
    ),
  SIGNUP_RATE_PER_HOUR: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(20)
    .describe(
      '`registerCustomer` calls per client address per hour (a burst of that many, refilled over the hour); past it `RATE_LIMITED` (a `RateLimitedError` with `retryAfterSeconds`). Kept where the mutation limit keeps its buckets; `0` turns it off',
    ),
  MAX_OPEN_ORDERS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(5)
    .describe(
      'unpaid submitted orders one customer may have at once; one more `submitOrder` answers `TOO_MANY_OPEN_ORDERS` (staff submitting are not bound); `0` turns the cap off',
    ),
  MAX_RESERVED_UNITS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000_000)
    .default(1_000)
    .describe(
      "units one customer's submitted orders (unpaid, or paid and not yet shipped) may hold reserved at once; a `submitOrder` that would pass it answers `TOO_MANY_RESERVED_UNITS` (staff submitting are not bound); `0` turns the cap off",
    ),
};

/** The part of `Config` these settings make. */
export function callerLimitConfig(v: SettingValues<typeof callerLimitSettings>) {
  return {
    rateLimitMutationsPerMinute: v.RATE_LIMIT_MUTATIONS_PER_MINUTE,
    /** `registerCustomer` calls per client address per hour; 0 turns the limit off. */
    signupRatePerHour: v.SIGNUP_RATE_PER_HOUR,
    /** Per customer (0: no cap): unpaid submitted orders, and units their submitted orders hold reserved. */
    maxOpenOrdersPerCustomer: v.MAX_OPEN_ORDERS_PER_CUSTOMER,
    maxReservedUnitsPerCustomer: v.MAX_RESERVED_UNITS_PER_CUSTOMER,
  };
}
