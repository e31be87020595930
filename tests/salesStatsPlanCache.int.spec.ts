import { describe, expect, it } from 'vitest';
import { bucketStarts, readSalesBuckets } from '../src/analytics/salesStatsQuery.js';
import { useTestServer } from './support/testServer.js';

// A year of minutes in `sales_minutes`: PostgreSQL must keep its cached plan of the statement
// rather than plan it anew on every call, as it did for fewer than 10 buckets on a table this size
// (its generic plan counts 10 elements in the bucket array, a custom plan the real number).
const server = useTestServer();
const YEAR_END = new Date('2021-01-01T00:00:00Z');

describe('salesStats on a year of minutes', () => {
  it('answers 8 hourly buckets from the cached plan of its statement, each bucket summed', async () => {
    const pool = server.services.db.pool;
    await pool.query(
      `INSERT INTO sales_minutes (minute, orders_created, orders_submitted, orders_paid, orders_cancelled, orders_expired, revenue_cents, last_position)
       SELECT $1::timestamptz - g * interval '1 minute', 2, 2, 1, 0, 0, 500, 0 FROM generate_series(1, 525600) g`,
      [YEAR_END.toISOString()],
    );
    await pool.query('ANALYZE sales_minutes');
    const starts = bucketStarts(new Date(YEAR_END.getTime() - 8 * 3_600_000), YEAR_END, 'HOUR');
    expect(starts).toHaveLength(8);
    // One session, so that its prepared statement and plan counts are the ones read below.
    const session = await pool.connect();
    try {
      for (let call = 0; call < 10; call++) {
        const buckets = await readSalesBuckets(session, starts, 'HOUR');
        expect(buckets.map((b) => [b.start.toISOString(), b.ordersPaid, b.revenueCents])).toEqual(
          starts.map((s) => [s.toISOString(), 60, 30_000]),
        );
      }
      const { rows } = await session.query<{ generic: number; custom: number }>(
        `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name = 'sales-stats'`,
      );
      // PostgreSQL tries five custom plans before it compares them with the generic one.
      expect(rows[0]).toEqual({ generic: 5, custom: 5 });
    } finally {
      session.release(true);
    }
  });
});
