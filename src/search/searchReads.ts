import type { Database } from '../db/database.js';

/** Whose orders a search looks at: every order (staff), or one customer's. */
export type SearchScope = { all: true } | { customerId: string };

/**
 * The matching rows: the query parsed once (`websearch_to_tsquery`, 'simple' as the index is), the
 * GIN index on `document` finds the rows, scoped to a customer when asked.
 */
function matchesSql(scope: SearchScope): string {
  return `FROM order_search s, websearch_to_tsquery('simple', $1) AS q(query)
          WHERE s.document @@ q.query${'customerId' in scope ? ' AND s.customer_id = $2' : ''}`;
}

/**
 * One page of matching order ids, best match first (`ts_rank` by the document's weights), ties by
 * order id so that pages never overlap or skip; `after` is the (rank, order id) of the last order
 * of the previous page. Ranks are `real`: compared as `real`, a rank that went through JSON is
 * exactly the one computed (PostgreSQL prints the shortest text that reads back the same value).
 */
export async function findOrderIds(
  db: Pick<Database, 'pool'>,
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): Promise<{ orderId: string; rank: number }[]> {
  const { rows } = await db.pool.query<{ order_id: string; rank: number }>(pageStatement(query, scope, page));
  return rows.map((r) => ({ orderId: r.order_id, rank: r.rank }));
}

/** The statement of one page of a search (exported for the test that explains its plan). */
export function pageStatement(
  query: string,
  scope: SearchScope,
  page: { after?: [number, string]; limit: number },
): { text: string; values: unknown[] } {
  const values: unknown[] = [query];
  if ('customerId' in scope) values.push(scope.customerId);
  let beyond = '';
  if (page.after) {
    values.push(page.after[0], page.after[1]);
    const [rank, id] = [`$${values.length - 1}::real`, `$${values.length}::text`];
    beyond = `WHERE rank < ${rank} OR (rank = ${rank} AND order_id > ${id})`;
  }
  values.push(page.limit);
  return {
    text: `SELECT order_id, rank FROM (SELECT s.order_id, ts_rank(s.document, q.query) AS rank ${matchesSql(scope)}) AS found
           ${beyond} ORDER BY rank DESC, order_id LIMIT $${values.length}`,
    values,
  };
}

/** How many orders match, in the same scope. */
export async function countMatches(db: Pick<Database, 'pool'>, query: string, scope: SearchScope): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>(countStatement(query, scope));
  return rows[0]!.count;
}

export function countStatement(query: string, scope: SearchScope): { text: string; values: unknown[] } {
  return {
    text: `SELECT count(*)::int AS count ${matchesSql(scope)}`,
    values: 'customerId' in scope ? [query, scope.customerId] : [query],
  };
}
