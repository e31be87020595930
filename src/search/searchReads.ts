import type { Database } from '../db/database.js';
import { orderViewOf, type OrderRow } from '../orders/orderReads.js';
import type { OrderView } from '../orders/orderView.js';

/** Whose orders a search looks at: every order (staff), or one customer's. */
export type SearchScope = { all: true } | { customerId: string };

/** An order a search found, at its rank; `order` is null while the orders read model has not reached it. */
export interface FoundOrder {
  orderId: string;
  rank: number;
  order: OrderView | null;
}

/** One page of a search, and how many orders match in all. */
export interface SearchPage {
  found: FoundOrder[];
  totalCount: number;
}

/**
 * One page of matching orders, best match first (`ts_rank` by the document's weights), ties by
 * order id so that pages never overlap or skip; `after` is the (rank, order id) of the last order
 * of the previous page. Ranks are `real`: compared as `real`, a rank that went through JSON is
 * exactly the one computed (PostgreSQL prints the shortest text that reads back the same value).
 */
export async function searchOrders(
  db: Pick<Database, 'pool'>,
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): Promise<SearchPage> {
  const { rows } = await db.pool.query<{ total: number; found: FoundRow[] }>(searchStatement(query, scope, page));
  const { total, found } = rows[0]!;
  return {
    totalCount: total,
    found: found.map((f) => ({ orderId: f.order_id, rank: f.rank, order: f.order ? orderViewOf(f.order) : null })),
  };
}

/** The ids of a page of matches (for scripts and tests that look at the index alone). */
export async function findOrderIds(
  db: Pick<Database, 'pool'>,
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): Promise<{ orderId: string; rank: number }[]> {
  return (await searchOrders(db, query, scope, page)).found.map(({ orderId, rank }) => ({ orderId, rank }));
}

interface FoundRow {
  order_id: string;
  rank: number;
  order: OrderRow | null;
}

/**
 * A search page in one statement: the matches found once through the GIN index on `document` (the
 * query parsed once, 'simple' as the index is, scoped to a customer when asked) and ranked once;
 * the count and the page both read that one set, and the page's orders (summary and lines) come
 * along as JSON. One round trip and one index scan instead of a page, a count and two ORM reads of
 * the orders: at a thousand matches, the second scan and the ORM's per-query cost were most of a
 * search's time. Exported for the test that explains its plan.
 */
export function searchStatement(
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): { text: string; values: unknown[] } {
  const values: unknown[] = [query];
  let owner = '';
  if ('customerId' in scope) {
    values.push(scope.customerId);
    owner = ` AND s.customer_id = $${values.length}`;
  }
  let beyond = '';
  if (page.after) {
    values.push(page.after[0], page.after[1]);
    const [rank, id] = [`$${values.length - 1}::real`, `$${values.length}::text`];
    beyond = `WHERE rank < ${rank} OR (rank = ${rank} AND order_id > ${id})`;
  }
  values.push(page.limit);
  return {
    text: `WITH found AS MATERIALIZED (
             SELECT s.order_id, ts_rank(s.document, q.query) AS rank
             FROM order_search s, websearch_to_tsquery('simple', $1) AS q(query)
             WHERE s.document @@ q.query${owner}),
           page AS (SELECT order_id, rank FROM found ${beyond} ORDER BY rank DESC, order_id LIMIT $${values.length})
           SELECT (SELECT count(*) FROM found)::int AS total,
                  coalesce((SELECT json_agg(json_build_object('order_id', p.order_id, 'rank', p.rank, 'order', ${ORDER_JSON})
                                            ORDER BY p.rank DESC, p.order_id)
                            FROM page p LEFT JOIN order_summaries o ON o.order_id = p.order_id), '[]') AS found`,
    values,
  };
}

/** An order summary `o` with its lines, as `OrderRow` (null when the summary is not there yet). */
const ORDER_JSON = `CASE WHEN o.order_id IS NOT NULL THEN json_build_object(
    'order_id', o.order_id, 'customer_id', o.customer_id, 'status', o.status, 'item_count', o.item_count,
    'total_cents', o.total_cents, 'version', o.version, 'created_at', o.created_at, 'updated_at', o.updated_at,
    'customer_name', o.customer_name, 'last_position', o.last_position::text,
    'items', coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity,
                                                         'unitPriceCents', l.unit_price_cents) ORDER BY l.line_no)
                       FROM order_lines l WHERE l.order_id = o.order_id), '[]')) END`;
