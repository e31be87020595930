import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import type { RecordedEvent } from '../eventStore/types.js';
import { seedSearchEntries } from '../../tests/support/searchEntries.js';
import { searchProjection } from './searchProjection.js';

// A shop of 8,000 orders, two per customer, written straight into the search tables: big enough
// that a statement joining a customer's new words to every order by hash looks cheaper to the
// planner than probing the customer's own orders, small enough to write in a moment.
const ORDERS = 8_000;
let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect({ poolSize: 2 });
  await seedSearchEntries(db.pool, { orders: ORDERS, customers: ORDERS / 2, surnames: ORDERS / 2, products: 1 });
  await db.pool.query(`INSERT INTO search_customers (customer_id, name, email, last_position)
    SELECT 'c' || i, 'Customer Surname' || i, 'buyer' || i || '@example.com', 0 FROM generate_series(0, ${ORDERS / 2 - 1}) AS i`);
  await db.pool.query('ANALYZE order_search, search_customers');
}, 60_000);
afterAll(() => testDb?.drop());

function registered(customerId: string, name: string, email: string): RecordedEvent {
  return {
    position: 1_000_000n,
    streamId: `customer-${customerId}`,
    streamType: 'Customer',
    version: 2,
    type: 'CustomerRegistered',
    schemaVersion: 1,
    data: { customerId, personal: { name, email } },
    metadata: {},
    recordedAt: new Date(),
  };
}

describe('a customer event in the search projection', () => {
  it("gives the customer's orders the new words by probing their orders, without reading every order's entry", async () => {
    const client = await db.pool.connect();
    try {
      // In one transaction, whose own scans PostgreSQL counts apart from every other session's.
      await client.query('BEGIN');
      await searchProjection.apply(client, [registered('c42', 'Grace Hopper', 'grace@example.com')]);
      const { rows: scans } = await client.query<{ n: string }>(
        `SELECT seq_scan::text AS n FROM pg_stat_xact_user_tables WHERE relname = 'order_search'`,
      );
      expect(Number(scans[0]!.n)).toBe(0);
      const { rows } = await client.query<{ order_id: string; customer_name: string; found: boolean }>(
        `SELECT order_id, customer_name, document @@ to_tsquery('simple', 'hopper') AS found
         FROM order_search WHERE customer_id = 'c42' ORDER BY order_id`,
      );
      expect(rows).toEqual([
        { order_id: 'order-4042', customer_name: 'Grace Hopper', found: true },
        { order_id: 'order-42', customer_name: 'Grace Hopper', found: true },
      ]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });
});
