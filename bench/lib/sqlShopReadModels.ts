import type pg from 'pg';
import { searchDocumentSql } from '../../src/search/searchProjection.js';
import type { ShopPlan } from './sqlShop.js';

type Step = (name: string, work: () => Promise<unknown>) => Promise<void>;

/**
 * Every read model of the shop written by SQL from the log just written and the plan's temporary
 * tables, with the rows the projections would have left (each row's `last_position` the position
 * of the last event that changed it). Order history and sales come from the log itself.
 */
export async function writeShopReadModels(client: pg.Client, _plan: ShopPlan, step: Step): Promise<void> {
  await step('order positions', async () => {
    await client.query(`CREATE TEMP TABLE scale_positions AS
      SELECT substring(stream_id FROM 7) AS order_id, max(position) AS last_position, max(version) AS version,
             max(recorded_at) AS updated_at
      FROM events WHERE stream_type = 'Order' GROUP BY stream_id`);
    await client.query(`CREATE TEMP TABLE scale_customers AS
      SELECT data->>'customerId' AS customer_id, data->>'name' AS name, data->>'email' AS email, recorded_at, position
      FROM events WHERE stream_type = 'Customer'`);
    await client.query(
      'CREATE INDEX ON scale_positions (order_id); CREATE INDEX ON scale_customers (customer_id); ANALYZE scale_positions; ANALYZE scale_customers',
    );
  });
  await step('order summaries and lines', async () => {
    await client.query(`INSERT INTO order_summaries (order_id, customer_id, status, total_cents, item_count, version, created_at, updated_at, last_position, customer_name)
      SELECT o.order_id, o.customer_id, o.status, t.total, t.items, p.version, o.t, p.updated_at, p.last_position, c.name
      FROM scale_orders o JOIN scale_positions p USING (order_id) JOIN scale_customers c USING (customer_id)
      JOIN (SELECT n, sum(quantity * unit_price_cents)::int AS total, sum(quantity)::int AS items FROM scale_lines GROUP BY n) t ON t.n = o.n`);
    await client.query(`INSERT INTO order_lines (order_id, sku, name, quantity, unit_price_cents, line_no)
      SELECT o.order_id, l.sku, l.name, l.quantity, l.unit_price_cents, l.line_no FROM scale_lines l JOIN scale_orders o ON o.n = l.n`);
    await client.query(`INSERT INTO order_status_counts (status, orders, last_position)
      SELECT status, count(*), (SELECT max(last_position) FROM scale_positions) FROM order_summaries GROUP BY status`);
    await client.query(
      `INSERT INTO order_customer_names (customer_id, name, last_position) SELECT customer_id, name, position FROM scale_customers`,
    );
  });
  await step('order history', () =>
    client.query(`INSERT INTO order_history (position, order_id, version, type, occurred_at, data, schema_version)
      SELECT position, substring(stream_id FROM 7), version, type, recorded_at, data, schema_version FROM events WHERE stream_type = 'Order'`),
  );
  await step('customers', async () => {
    await client.query(`INSERT INTO customer_summaries (customer_id, name, email, order_count, total_spent_cents, registered_at, last_position)
      SELECT c.customer_id, c.name, c.email, coalesce(s.orders, 0), coalesce(s.spent, 0), c.recorded_at, greatest(c.position, s.last_position)
      FROM scale_customers c LEFT JOIN (
        SELECT customer_id, count(*) AS orders, sum(total_cents) FILTER (WHERE status IN ('PAID', 'SHIPPED', 'DELIVERED')) AS spent,
               max(last_position) AS last_position
        FROM order_summaries GROUP BY customer_id) s USING (customer_id)`);
    // Clients that send a command id have each command's outcome kept: say, every createOrder.
    await client.query(`INSERT INTO command_results (caller, command_id, input_hash, result, recorded_at)
      SELECT 'staff:bench', md5(order_id || '0')::uuid::text, md5(order_id), jsonb_build_object('lastPosition', last_position::text,
               'streams', jsonb_build_array(jsonb_build_object('streamId', 'Order-' || order_id, 'version', 1)), 'result', jsonb_build_object('aggregateId', order_id)),
             created_at
      FROM order_summaries`);
    await client.query(`INSERT INTO customer_order_links (order_id, customer_id, last_position)
      SELECT order_id, customer_id, last_position FROM order_summaries`);
  });
  await step('inventory and snapshots', async () => {
    await client.query(`INSERT INTO inventory (sku, name, price_cents, on_hand, reserved, updated_at, last_position)
      SELECT data->>'sku', data->>'name', (data->>'priceCents')::int, (data->>'initialStock')::int - coalesce(s.shipped, 0),
             coalesce(s.reserved, 0), coalesce(s.updated_at, e.recorded_at), coalesce(s.last_position, e.position)
      FROM events e LEFT JOIN (
        SELECT stream_id, sum(CASE type WHEN 'StockReserved' THEN 1 ELSE -1 END * (data->>'quantity')::int) AS reserved,
               sum((data->>'quantity')::int) FILTER (WHERE type = 'StockShipped') AS shipped,
               max(recorded_at) AS updated_at, max(position) AS last_position
        FROM events WHERE stream_type = 'Product' AND version > 1 GROUP BY stream_id) s USING (stream_id)
      WHERE e.stream_type = 'Product' AND e.version = 1`);
    // The commands snapshot a stream every hundred versions: each product's latest multiple of 100.
    await client.query(`INSERT INTO snapshots (stream_id, stream_type, version, schema_version, state, taken_at)
      SELECT e.stream_id, 'Product', v.at, 1,
             jsonb_build_object('exists', true, 'sku', e.data->>'sku', 'name', e.data->>'name', 'priceCents', (e.data->>'priceCents')::int,
               'onHand', (e.data->>'initialStock')::int - s.shipped, 'reserved', s.reserved), now()
      FROM events e
      JOIN (SELECT stream_id, max(version) - max(version) % 100 AS at FROM events WHERE stream_type = 'Product' GROUP BY stream_id) v
        ON v.stream_id = e.stream_id AND v.at >= 100
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(CASE x.type WHEN 'StockReserved' THEN 1 ELSE -1 END * (x.data->>'quantity')::int), 0) AS reserved,
               coalesce(sum((x.data->>'quantity')::int) FILTER (WHERE x.type = 'StockShipped'), 0) AS shipped
        FROM events x WHERE x.stream_id = e.stream_id AND x.version > 1 AND x.version <= v.at) s
      WHERE e.stream_type = 'Product' AND e.version = 1`);
  });
  await step('sales and payment deadlines', async () => {
    await client.query(`INSERT INTO sales_minutes (minute, orders_created, orders_submitted, orders_paid, orders_cancelled, orders_expired, revenue_cents, last_position)
      SELECT date_trunc('minute', occurred_at), count(*) FILTER (WHERE type = 'OrderCreated'), count(*) FILTER (WHERE type = 'OrderSubmitted'),
             count(*) FILTER (WHERE type = 'PaymentRecorded'), count(*) FILTER (WHERE type = 'OrderCancelled'),
             count(*) FILTER (WHERE type = 'OrderExpired'), coalesce(sum((data->>'amountCents')::bigint) FILTER (WHERE type = 'PaymentRecorded'), 0),
             max(position)
      FROM order_history GROUP BY 1`);
    await client.query(`INSERT INTO payment_deadlines (order_id, submitted_at, pending, last_position)
      SELECT h.order_id, h.occurred_at, s.status = 'SUBMITTED', s.last_position
      FROM order_history h JOIN order_summaries s USING (order_id) WHERE h.type = 'OrderSubmitted'`);
  });
  await step('search', async () => {
    await client.query(
      `INSERT INTO search_customers (customer_id, name, email, last_position) SELECT customer_id, name, email, position FROM scale_customers`,
    );
    await client.query(`INSERT INTO order_search (order_id, customer_id, customer_name, customer_email, lines, document, last_position)
      SELECT r.order_id, r.customer_id, r.customer_name, r.customer_email, r.lines,
             ${searchDocumentSql({ name: 'r.customer_name', email: 'r.customer_email', orderId: 'r.order_id', lines: 'r.lines' })}, r.last_position
      FROM (SELECT s.order_id, s.customer_id, c.name AS customer_name, c.email AS customer_email, s.last_position,
                   (SELECT jsonb_agg(jsonb_build_object('sku', l.sku, 'name', l.name) ORDER BY l.line_no) FROM order_lines l WHERE l.order_id = s.order_id) AS lines
            FROM order_summaries s JOIN scale_customers c USING (customer_id)) r`);
  });
  await client.query('DROP TABLE scale_orders, scale_lines, scale_positions, scale_customers');
}
