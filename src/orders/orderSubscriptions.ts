import { requireStaff, requireUser } from '../auth/actor.js';
import { NotFoundError } from '../domain/errors.js';
import { builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { changeStream, mapChanges } from '../live/changeStream.js';
import { orderChangeFrom, type OrderChange } from '../live/liveFeed.js';
import { parsePosition } from '../projections/consistency.js';
import { canSeeOrder } from './orderCommands.js';
import type { OrderStatus } from './orderEvents.js';
import { findOrder } from './orderReads.js';
import { OrderStatusEnum, OrderType } from './orderTypes.js';
import type { OrderView } from './orderView.js';

/** The status each status-changing event leads to, and the one it leaves. */
const TRANSITIONS: Record<string, { to: OrderStatus; from: OrderStatus | null }> = {
  OrderCreated: { to: 'DRAFT', from: null },
  OrderSubmitted: { to: 'SUBMITTED', from: 'DRAFT' },
  PaymentRecorded: { to: 'PAID', from: 'SUBMITTED' },
  OrderShipped: { to: 'SHIPPED', from: 'PAID' },
  OrderDelivered: { to: 'DELIVERED', from: 'SHIPPED' },
  OrderCancelled: { to: 'CANCELLED', from: null }, // from: the event's previousStatus
};

interface StatusChange {
  orderId: string;
  /** The order as the read side has it now (shared by every subscriber to this change). */
  order(): Promise<OrderView | null>;
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  version: number;
  position: bigint;
  occurredAt: Date;
}

const OrderStatusChangeType = builder.objectRef<StatusChange>('OrderStatusChange').implement({
  description: 'An order\'s status, when it subscribes and at each change after. `position` can be passed as `after` to resume.',
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    status: t.field({ type: OrderStatusEnum, resolve: (c) => c.status }),
    previousStatus: t.field({ type: OrderStatusEnum, nullable: true, resolve: (c) => c.previousStatus }),
    version: t.exposeInt('version'),
    position: t.string({ resolve: (c) => c.position.toString() }),
    occurredAt: t.field({ type: 'DateTime', resolve: (c) => c.occurredAt }),
    order: t.field({ type: OrderType, description: 'The order as the read side has it now.', resolve: async (c) => (await c.order())! }),
  }),
});

function toStatusChange(change: OrderChange): StatusChange | undefined {
  const transition = TRANSITIONS[change.type];
  if (!transition) return undefined;
  const previous = change.type === 'OrderCancelled' ? ((change.data.previousStatus as OrderStatus | undefined) ?? null) : transition.from;
  const { orderId, version, position, occurredAt, order } = change;
  return { orderId, status: transition.to, previousStatus: previous, version, position, occurredAt, order };
}

function statusChanges(ctx: GraphQLContext, orderId: string, after: bigint | undefined) {
  const initial = async (): Promise<OrderChange[]> => {
    if (after === undefined) return [];
    const rows = await ctx.db.prisma.orderHistoryEntry.findMany({ where: { orderId, position: { gt: after } }, orderBy: { position: 'asc' } });
    return rows.map((row) => orderChangeFrom(row, ctx.db.prisma));
  };
  // Listen first, then read: a change committed in between waits in the stream's queue.
  const stream = changeStream<OrderChange>(ctx.liveFeed, `order:${orderId}`, initial, ctx.auth);
  let current: StatusChange | undefined;
  return mapChanges<OrderChange, StatusChange>(
    stream,
    async (push) => {
      if (after !== undefined) return;
      // No resume point: the first payload is the order as it is now.
      const order = await findOrder(ctx.db.prisma, orderId);
      if (!order) return;
      current = {
        orderId, status: order.status, previousStatus: null, version: order.version, position: BigInt(order.position!),
        occurredAt: new Date(order.updatedAt), order: async () => order,
      };
      await push(current);
    },
    (change) => (current && change.position <= current.position ? undefined : toStatusChange(change)),
  );
}

builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  orderStatusChanged: t.field({
    type: OrderStatusChangeType,
    description: 'The order\'s current status, then each change. With `after`, every change after that position first, then live: no gap, no duplicate.',
    args: { orderId: t.arg.id({ required: true }), after: t.arg.string({ required: false }) },
    subscribe: async (_root, args, ctx) => {
      const actor = requireUser(ctx.auth);
      const after = parsePosition(args.after);
      const order = await findOrder(ctx.db.prisma, String(args.orderId));
      if (!order || !canSeeOrder(actor, order)) throw new NotFoundError('order not found');
      return statusChanges(ctx, order.id, after);
    },
    resolve: (change) => change,
  }),
  orderFeed: t.field({
    type: builder.objectRef<{ change: OrderChange; status: OrderStatus }>('OrderFeedEvent').implement({
      description: 'One change of any order (staff dashboards).',
      fields: (f) => ({
        orderId: f.id({ resolve: (e) => e.change.orderId }),
        type: f.string({ description: 'The event type.', resolve: (e) => e.change.type }),
        status: f.field({ type: OrderStatusEnum, description: 'The order\'s status now.', resolve: (e) => e.status }),
        version: f.int({ resolve: (e) => e.change.version }),
        position: f.string({ resolve: (e) => e.change.position.toString() }),
        occurredAt: f.field({ type: 'DateTime', resolve: (e) => e.change.occurredAt }),
        order: f.field({ type: OrderType, resolve: async (e) => (await e.change.order())! }),
      }),
    }),
    description: 'Every order change as it happens (staff); optionally only orders now in `status`.',
    args: { status: t.arg({ type: OrderStatusEnum, required: false }) },
    subscribe: (_root, args, ctx) => {
      requireStaff(ctx.auth);
      return feedChanges(ctx, args.status ?? undefined);
    },
    resolve: (event) => event,
  }),
}));

function feedChanges(ctx: GraphQLContext, status: OrderStatus | undefined) {
  return mapChanges(changeStream<OrderChange>(ctx.liveFeed, 'order', async () => [], ctx.auth), async () => {}, async (change) => {
    const order = await change.order();
    return !order || (status && order.status !== status) ? undefined : { change, status: order.status };
  });
}
