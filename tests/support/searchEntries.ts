import type pg from 'pg';
import { searchDocumentSql } from '../../src/search/searchProjection.js';

/**
 * Writes `orders` search entries straight into `order_search`, by SQL (the projection's own write
 * is what tests cover elsewhere): order `order-<i>` belongs to customer `c<i % customers>`, named
 * `Customer Surname<i % surnames>` with the address `buyer<i % customers>@example.com`, and holds one
 * line of product `SKU-<i % products>`. For tests of the search tables at a size the planner takes seriously.
 */
export async function seedSearchEntries(
  pool: pg.Pool,
  shape: { orders: number; customers: number; surnames: number; products: number },
): Promise<void> {
  await pool.query(`
    INSERT INTO order_search (order_id, customer_id, customer_name, customer_email, lines, document, last_position)
    SELECT o.order_id, o.customer_id, o.name, o.email, o.lines,
           ${searchDocumentSql({ name: 'o.name', email: 'o.email', orderId: 'o.order_id', lines: 'o.lines' })}, o.i
    FROM (
      SELECT i, 'order-' || i AS order_id, 'c' || (i % ${shape.customers}) AS customer_id,
             'Customer Surname' || (i % ${shape.surnames}) AS name, 'buyer' || (i % ${shape.customers}) || '@example.com' AS email,
             jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (i % ${shape.products}), 'name', 'Product ' || (i % ${shape.products}), 'quantity', 1)) AS lines
      FROM generate_series(1, ${shape.orders}) AS i
    ) AS o`);
}
