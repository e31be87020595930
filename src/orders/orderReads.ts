import type { Database } from '../db/database.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import { isCursorTimestamp } from '../graphql/cursors.js';
import type { OrderStatus } from './orderEvents.js';
import { lineTotalCents } from './orderLines.js';
import type { OrderView } from './orderView.js';

type Summary = Prisma.OrderSummaryGetPayload<object>;

/** Builds API views for summaries, with their lines in one query. */
export async function orderViews(prisma: PrismaClient, summaries: Summary[]): Promise<OrderView[]> {
  if (summaries.length === 0) return [];
  const lines = await prisma.orderLine.findMany({
    where: { orderId: { in: summaries.map((s) => s.orderId) } },
    orderBy: [{ orderId: 'asc' }, { lineNo: 'asc' }],
  });
  return summaries.map((s) => ({
    id: s.orderId,
    customerId: s.customerId,
    status: s.status as OrderStatus,
    items: lines
      .filter((l) => l.orderId === s.orderId)
      .map((l) => ({
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unitPriceCents: l.unitPriceCents,
        lineTotalCents: lineTotalCents(l),
      })),
    itemCount: s.itemCount,
    totalCents: s.totalCents,
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    customerName: s.customerName,
    position: s.lastPosition.toString(),
  }));
}

/**
 * One order with its lines. Every `order(id)` query and order push reads through here, so it is one
 * prepared `pg` statement (summary and lines together) rather than ORM queries: Prisma's per-query
 * cost (its query interpreter, even for `$queryRaw`) was the largest single cost of the server's CPU
 * in the query benchmark.
 */
export async function findOrder(db: Pick<Database, 'pool'>, orderId: string): Promise<OrderView | null> {
  const { rows } = await db.pool.query<OrderRow>({ name: 'find-order', text: FIND_ORDER, values: [orderId] });
  const row = rows[0];
  return row ? orderViewOf(row) : null;
}

/** The API view of an order row (from `pg`, or from JSON, whose timestamps are text). */
export function orderViewOf(row: OrderRow): OrderView {
  return {
    id: row.order_id,
    customerId: row.customer_id,
    status: row.status as OrderStatus,
    items: row.items.map((l) => ({ ...l, lineTotalCents: lineTotalCents(l) })),
    itemCount: row.item_count,
    totalCents: row.total_cents,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    customerName: row.customer_name,
    position: row.last_position,
  };
}

const FIND_ORDER = `
  SELECT s.order_id, s.customer_id, s.status, s.item_count, s.total_cents, s.version, s.created_at, s.updated_at,
         s.customer_name, s.last_position::text AS last_position,
         coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity, 'unitPriceCents', l.unit_price_cents)
                                   ORDER BY l.line_no)
                   FROM order_lines l WHERE l.order_id = s.order_id), '[]') AS items
  FROM order_summaries s WHERE s.order_id = $1`;

/** An order summary with its lines, as FIND_ORDER reads it. */
export interface OrderRow {
  order_id: string;
  customer_id: string;
  status: string;
  item_count: number;
  total_cents: number;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
  customer_name: string | null;
  last_position: string;
  items: { sku: string; name: string; quantity: number; unitPriceCents: number }[];
}

export interface OrderFilter {
  status?: OrderStatus;
  customerId?: string;
}

const whereOf = (filter: OrderFilter): Prisma.OrderSummaryWhereInput => ({
  ...(filter.status ? { status: filter.status } : {}),
  ...(filter.customerId !== undefined ? { customerId: filter.customerId } : {}),
});

/** A page of orders, newest first, by the keyset (createdAt, orderId). */
export async function pageOfOrders(
  prisma: PrismaClient,
  filter: OrderFilter,
  page: { after?: unknown[]; before?: unknown[]; limit: number; inverted: boolean },
): Promise<OrderView[]> {
  const beyond = (key: unknown[] | undefined, direction: 'lt' | 'gt'): Prisma.OrderSummaryWhereInput => {
    if (!key) return {};
    const [createdAt, orderId] = [new Date(String(key[0])), String(key[1])];
    return { OR: [{ createdAt: { [direction]: createdAt } }, { createdAt, orderId: { [direction]: orderId } }] };
  };
  // Newest first: "after" a cursor means older.
  const summaries = await prisma.orderSummary.findMany({
    where: { AND: [whereOf(filter), beyond(page.after, 'lt'), beyond(page.before, 'gt')] },
    orderBy: [{ createdAt: page.inverted ? 'asc' : 'desc' }, { orderId: page.inverted ? 'asc' : 'desc' }],
    take: page.limit,
  });
  return orderViews(prisma, summaries);
}

/**
 * How many orders match: a customer's are counted (a customer has few), all orders or a status's
 * are read from the counts kept per status, as counting them grows with every order ever placed.
 */
export async function countOrders(prisma: PrismaClient, filter: OrderFilter): Promise<number> {
  if (filter.customerId !== undefined) return prisma.orderSummary.count({ where: whereOf(filter) });
  const counted = await prisma.orderStatusCount.aggregate({
    _sum: { orders: true },
    where: filter.status ? { status: filter.status } : {},
  });
  return Number(counted._sum.orders ?? 0);
}

/** Orders page by (createdAt, id): a cursor is that pair. */
export const orderCursorKey = {
  of: (order: OrderView): unknown[] => [order.createdAt, order.id],
  isValid: (key: unknown[]): boolean => key.length === 2 && isCursorTimestamp(key[0]) && typeof key[1] === 'string',
};

/**
 * The current names of customers as the orders read model knows them (for orders that did not come
 * from its tables): a customer with no name there (unknown yet, or forgotten) is absent.
 */
export async function customerNames(db: Pick<Database, 'pool'>, customerIds: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.pool.query<{ customer_id: string; name: string | null }>({
    name: 'order-customer-names',
    text: 'SELECT customer_id, name FROM order_customer_names WHERE customer_id = ANY($1::text[])',
    values: [customerIds],
  });
  return new Map(rows.map((r) => [r.customer_id, r.name]));
}
