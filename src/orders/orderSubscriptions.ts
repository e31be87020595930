import pRetry from 'p-retry';
import { requireStaff, requireUser } from '../auth/actor.js';
import { isDatabaseUnavailable } from '../db/database.js';
import { NotFoundError } from '../domain/errors.js';
import { subscriptionRoot, type Builder } from '../graphql/builder.js';
import { parsePosition } from '../graphql/consistency.js';
import type { GraphQLContext } from '../graphql/context.js';
import { changeStream } from '../live/changeStream.js';
import { orderChangeFrom, type OrderChange } from './orderChanges.js';
import { canSeeOrder } from './orderCommands.js';
import type { OrderStatus } from './orderEvents.js';
import { findOrder } from './orderReads.js';
import { transitionOf } from './orderStatus.js';
import { orderTypes } from './orderTypes.js';
import type { OrderView } from './orderView.js';

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

/** The status change an order change makes, if any; one object per change, shared by all subscribers. */
const statusChangeOf = memoizeByChange((change: OrderChange): StatusChange | undefined => {
  const transition = transitionOf(change.type);
  if (!transition) return undefined;
  // Where several statuses lead to the new one, the event recorded which one it left.
  const previous = transition.from.length === 1 ? transition.from[0]! : ((change.data.previousStatus as OrderStatus | undefined) ?? null);
  const { orderId, version, position, occurredAt, order } = change;
  return { orderId, status: transition.to, previousStatus: previous, version, position, occurredAt, order };
});

function memoizeByChange<R>(map: (change: OrderChange) => R): (change: OrderChange) => R {
  const results = new WeakMap<OrderChange, { result: R }>();
  return (change) => {
    let entry = results.get(change);
    if (!entry) results.set(change, (entry = { result: map(change) }));
    return entry.result;
  };
}

function statusChanges(ctx: GraphQLContext, orderId: string, after: bigint | undefined) {
  const initial = async (): Promise<StatusChange[]> => {
    if (after !== undefined) {
      const rows = await ctx.services.db.prisma.orderHistoryEntry.findMany({
        where: { orderId, position: { gt: after } },
        orderBy: { position: 'asc' },
      });
      return rows.flatMap((row) => statusChangeOf(orderChangeFrom(row, ctx.services.db)) ?? []);
    }
    // No resume point: the first payload is the order as it is now (later changes only, after it).
    const order = await findOrder(ctx.services.db, orderId);
    if (!order) return [];
    return [
      {
        orderId,
        status: order.status,
        previousStatus: null,
        version: order.version,
        position: BigInt(order.position!),
        occurredAt: new Date(order.updatedAt),
        order: async () => order,
      },
    ];
  };
  // Listen first, then read: a change committed in between waits in the stream's queue.
  return changeStream<OrderChange, StatusChange>({
    feed: ctx.services.liveFeed,
    event: `order:${orderId}`,
    field: 'orderStatusChanged',
    initial,
    map: statusChangeOf,
    auth: ctx.auth,
    delivery: ctx.liveDelivery,
  });
}

interface FeedEvent {
  change: OrderChange;
  status: OrderStatus;
  position: bigint;
}

/** Each change's feed events by status filter ('' = all): computed once per change and filter. */
const feedEventsOf = memoizeByChange((): Map<string, Promise<FeedEvent | undefined>> => new Map());

function feedEventOf(change: OrderChange, status: OrderStatus | undefined): Promise<FeedEvent | undefined> {
  const byFilter = feedEventsOf(change);
  let event = byFilter.get(status ?? '');
  if (!event) {
    event = orderWhileDatabaseReturns(change).then((order) =>
      !order || (status && order.status !== status) ? undefined : { change, status: order.status, position: change.position },
    );
    byFilter.set(status ?? '', event);
  }
  return event;
}

/** How long a feed event waits for the database to come back before its subscribers' streams end. */
const ORDER_READ_RETRIES = { retries: 39, minTimeout: 250, factor: 1 };

/**
 * The order a change leaves, waiting out a short database outage: orderFeed has no `after` to
 * resume from, so ending its subscribers on a blip would lose them changes. Ends (with
 * DATABASE_UNAVAILABLE) only when the database stays away for about ten seconds.
 */
function orderWhileDatabaseReturns(change: OrderChange): Promise<OrderView | null> {
  return pRetry(() => change.order(), { ...ORDER_READ_RETRIES, shouldRetry: ({ error }) => isDatabaseUnavailable(error) });
}

function feedChanges(ctx: GraphQLContext, status: OrderStatus | undefined) {
  return changeStream<OrderChange, FeedEvent>({
    feed: ctx.services.liveFeed,
    event: 'order',
    field: 'orderFeed',
    initial: async () => [],
    map: (change) => feedEventOf(change, status),
    auth: ctx.auth,
    delivery: ctx.liveDelivery,
  });
}

/** Adds this slice's GraphQL to a schema builder. */
export function orderSubscriptions(builder: Builder): void {
  const { OrderStatusEnum, OrderType } = orderTypes(builder);
  const OrderStatusChangeType = builder.objectRef<StatusChange>('OrderStatusChange').implement({
    description: "An order's status, when it subscribes and at each change after. `position` can be passed as `after` to resume.",
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

  subscriptionRoot(builder);

  builder.subscriptionFields((t) => ({
    orderStatusChanged: t.field({
      type: OrderStatusChangeType,
      description:
        "The order's current status, then each change. With `after`, every change after that position first, then live: no gap, no duplicate.",
      args: { orderId: t.arg.id({ required: true }), after: t.arg.string({ required: false }) },
      subscribe: async (_root, args, ctx) => {
        const actor = requireUser(ctx.auth);
        const after = parsePosition(args.after, 'after');
        const order = await findOrder(ctx.services.db, String(args.orderId));
        if (!order || !canSeeOrder(actor, order)) throw new NotFoundError('order not found');
        return statusChanges(ctx, order.id, after);
      },
      resolve: (change) => change,
    }),
    orderFeed: t.field({
      type: builder.objectRef<FeedEvent>('OrderFeedEvent').implement({
        description: 'One change of any order (staff dashboards).',
        fields: (f) => ({
          orderId: f.id({ resolve: (e) => e.change.orderId }),
          type: f.string({ description: 'The event type.', resolve: (e) => e.change.type }),
          status: f.field({ type: OrderStatusEnum, description: "The order's status now.", resolve: (e) => e.status }),
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
}
