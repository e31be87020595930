import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tests/support/testDatabase.js';
import type { Database } from '../db/database.js';
import { seedSearchEntries } from '../../tests/support/searchEntries.js';
import { findOrderIds, searchStatement, type SearchScope } from './searchReads.js';

const ORDERS = 100_000;
let testDb: TestDatabase;
let db: Database;

// 100,000 orders written straight into the search and summary tables (the projection's own write is covered
// elsewhere): 20,000 customers, each surname shared by 20 orders, 1,000 products.
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.connect({ poolSize: 2 });
  await seedSearchEntries(db.pool, { orders: ORDERS, customers: 20_000, surnames: 5_000, products: 1_000 });
  // Their summaries, which a search page reads its orders from.
  await db.pool.query(`
    INSERT INTO order_summaries (order_id, customer_id, status, total_cents, item_count, version, created_at, updated_at, last_position)
    SELECT 'order-' || i, 'c' || (i % 20000), 'SUBMITTED', 100, 1, 3, now(), now(), i FROM generate_series(1, ${ORDERS}) AS i`);
  await db.pool.query('ANALYZE order_search, order_summaries');
}, 120_000);
afterAll(() => testDb?.drop());

async function plan(statement: { text: string; values: unknown[] }): Promise<string> {
  const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${statement.text}`, values: statement.values });
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe(`the search index at ${ORDERS.toLocaleString('en')} orders`, () => {
  it('ranks the matches once for the page and the count, and reads the orders of the page by their keys', async () => {
    const explained = await plan(searchStatement('surname4242', { all: true }, { limit: 20 }));
    // One scan of the index for the page and the count together.
    expect(explained.match(/Bitmap Index Scan on order_search_document_idx/g)).toHaveLength(1);
    expect(explained).toContain('order_summaries_pkey');
    expect(explained).not.toContain('Seq Scan');
  });

  const staff: SearchScope = { all: true };

  it("finds a surname's orders through the GIN index, never a scan of every order", async () => {
    const explained = await plan(searchStatement('surname4242', staff, { limit: 20 }));
    expect(explained).toContain('order_search_document_idx');
    expect(explained).not.toContain('Seq Scan');
    expect(await findOrderIds(db, 'Surname4242', staff, { limit: 50 })).toHaveLength(ORDERS / 5000);
  });

  it("uses an index for a sku, an order id, a later page and a customer's own search too", async () => {
    const statements = [
      searchStatement('SKU-17', staff, { limit: 20 }),
      searchStatement('order-31337', staff, { limit: 20 }),
      searchStatement('surname4242', staff, { after: [0.5, 'order-1'], limit: 20 }),
      searchStatement('surname4242', { customerId: 'c4242' }, { limit: 20 }),
    ];
    for (const statement of statements) {
      const explained = await plan(statement);
      expect(explained, statement.values.join(' ')).toMatch(/Index/);
      expect(explained, statement.values.join(' ')).not.toContain('Seq Scan');
    }
  });
});
