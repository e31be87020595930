import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { OrderStatus } from './orderEvents.js';
import type { OrderView } from './orderView.js';

type Summary = Prisma.OrderSummaryGetPayload<object>;

/** Builds API views for summaries, with their lines in one query. */
export async function orderViews(prisma: PrismaClient, summaries: Summary[]): Promise<OrderView[]> {
  if (summaries.length === 0) return [];
  const lines = await prisma.orderLine.findMany({ where: { orderId: { in: summaries.map((s) => s.orderId) } }, orderBy: [{ orderId: 'asc' }, { lineNo: 'asc' }] });
  return summaries.map((s) => ({
    id: s.orderId,
    customerId: s.customerId,
    status: s.status as OrderStatus,
    items: lines
      .filter((l) => l.orderId === s.orderId)
      .map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitPriceCents: l.unitPriceCents, lineTotalCents: l.quantity * l.unitPriceCents })),
    itemCount: s.itemCount,
    totalCents: s.totalCents,
    version: s.version,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    position: s.lastPosition.toString(),
  }));
}

export async function findOrder(prisma: PrismaClient, orderId: string): Promise<OrderView | null> {
  const summary = await prisma.orderSummary.findUnique({ where: { orderId } });
  return summary ? (await orderViews(prisma, [summary]))[0]! : null;
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

export const countOrders = (prisma: PrismaClient, filter: OrderFilter): Promise<number> => prisma.orderSummary.count({ where: whereOf(filter) });

/** Orders page by (createdAt, id): a cursor is that pair. */
export const orderCursorKey = {
  of: (order: OrderView): unknown[] => [order.createdAt, order.id],
  isValid: (key: unknown[]): boolean =>
    key.length === 2 && typeof key[0] === 'string' && !Number.isNaN(Date.parse(key[0])) && typeof key[1] === 'string',
};
