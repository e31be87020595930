import DataLoader from 'dataloader';
import { historyLoader, orderHistoryEntryType, orderHistoryField } from './orderHistory.js';
import { isStaff, requireUser, type Actor } from '../auth/actor.js';
import { loadAggregate } from '../commands/loadAggregate.js';
import { ValidationError } from '../domain/errors.js';
import type { Builder } from '../graphql/builder.js';
import { consistentWithArg, readConsistently } from '../graphql/consistency.js';
import type { GraphQLContext } from '../graphql/context.js';
import { readDbOf } from '../graphql/readRouting.js';
import { keysetConnection } from '../graphql/cursors.js';
import { canSeeOrder } from './orderCommands.js';
import { orderAggregate, orderStreamId } from './orderDecider.js';
import { readOrderView } from './orderCache.js';
import { countOrders, customerNames, findOrder, orderCursorKey, pageOfOrders, type OrderFilter } from './orderReads.js';
import { orderTypes } from './orderTypes.js';
import { orderViewFromState, type OrderView } from './orderView.js';

const ORDERS = ['orders'] as const;
/** A list of orders also reads the counts per status (its totalCount). */
const ORDER_LIST = ['orders', 'orderCounts'] as const;

/** One name query per request for the orders that did not come from the read tables. */
const nameLoaders = new WeakMap<object, DataLoader<string, string | null>>();
function nameLoader(ctx: GraphQLContext): DataLoader<string, string | null> {
  let loader = nameLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const names = await customerNames(ctx.services.db, ids);
      return ids.map((id) => names.get(id) ?? null);
    });
    nameLoaders.set(ctx, loader);
  }
  return loader;
}

/**
 * Time travel, shared by the fields of one request: aliases asking for the same order at the same
 * version (or at moments that fall on the same version) fold it once. A moment is turned into a
 * version by one query returning one row; the fold starts from the snapshot when it is not past
 * the version asked for, and otherwise reads only the events up to it.
 */
const timeTravels = new WeakMap<object, Map<string, Promise<unknown>>>();
function orderAsItWas(ctx: GraphQLContext, streamId: string, version: number | undefined, asOf: Date | undefined) {
  let memo = timeTravels.get(ctx);
  if (!memo) timeTravels.set(ctx, (memo = new Map()));
  const shared = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    let promise = memo.get(key) as Promise<T> | undefined;
    if (!promise) memo.set(key, (promise = work()));
    return promise;
  };
  return shared(`${streamId}@${version ?? ''}@${asOf?.toISOString() ?? ''}`, async () => {
    let upTo = version;
    if (asOf) {
      const at = await shared(`${streamId}@asOf:${asOf.toISOString()}`, () => ctx.services.eventStore.versionAt(streamId, asOf));
      if (at === 0) return null;
      upTo = Math.min(upTo ?? at, at);
    }
    return shared(`${streamId}@v:${upTo ?? 'latest'}`, () => loadAggregate(ctx.services.eventStore, streamId, orderAggregate, upTo));
  });
}

/** The order if the caller may see it; null for a missing order and for someone else's alike. */
async function visibleOrder(ctx: GraphQLContext, id: string): Promise<OrderView | null> {
  const actor = requireUser(ctx.auth);
  // The view may come from this process's cache; whether this caller may see it is decided here,
  // every time. The cache is invalidated by the primary's projection progress, so with read
  // replicas the read goes where the replica routing sends it instead.
  const order =
    ctx.services.config.readDatabaseUrls.length > 0 ? await findOrder(readDbOf(ctx), id) : await readOrderView(ctx.services, id);
  return order && canSeeOrder(actor, order) ? order : null;
}

/** Customers only ever list their own orders, whatever customerId they pass. */
function scopedFilter(actor: Actor, filter: OrderFilter): OrderFilter | null {
  if (isStaff(actor)) return filter;
  if (actor.kind !== 'user') return null;
  if (filter.customerId !== undefined && filter.customerId !== actor.sub) return null;
  return { ...filter, customerId: actor.sub };
}

/** Adds this slice's GraphQL to a schema builder. */
export function orderQueries(builder: Builder): void {
  const { OrderConnection, OrderStatusEnum, OrderType } = orderTypes(builder);
  const OrderHistoryEntryType = orderHistoryEntryType(builder);
  orderHistoryField(builder);

  builder.objectField(OrderType, 'customerName', (t) =>
    t.string({
      nullable: true,
      description:
        "The customer's current name (kept in the orders read model from the customer's events); null once the customer is forgotten.",
      resolve: (order, _args, ctx) => (order.customerName !== undefined ? order.customerName : nameLoader(ctx).load(order.customerId)),
    }),
  );

  builder.queryFields((t) => ({
    order: t.field({
      type: OrderType,
      nullable: true,
      description: 'An order (customers: only their own; null otherwise).',
      args: { id: t.arg.id({ required: true }), consistentWith: t.arg.string(consistentWithArg) },
      resolve: async (_root, args, ctx) => {
        requireUser(ctx.auth);
        await readConsistently(ctx, ORDERS, args.consistentWith);
        return visibleOrder(ctx, String(args.id));
      },
    }),
    orders: t.connection(
      {
        type: OrderType,
        description: 'Orders, newest first (customers: only their own).',
        args: {
          status: t.arg({ type: OrderStatusEnum, required: false }),
          customerId: t.arg.id({ required: false }),
          consistentWith: t.arg.string(consistentWithArg),
        },
        resolve: async (_root, args, ctx) => {
          const actor = requireUser(ctx.auth);
          await readConsistently(ctx, ORDER_LIST, args.consistentWith);
          const filter = scopedFilter(actor, { status: args.status ?? undefined, customerId: args.customerId ?? undefined });
          const { prisma } = readDbOf(ctx);
          return keysetConnection(
            args,
            orderCursorKey,
            (page) => (filter ? pageOfOrders(prisma, filter, page) : Promise.resolve([])),
            () => (filter ? countOrders(prisma, filter) : Promise.resolve(0)),
          );
        },
      },
      OrderConnection,
    ),
    orderHistory: t.field({
      type: [OrderHistoryEntryType],
      description: 'Every event of an order, oldest first (empty for an order you cannot see).',
      args: { orderId: t.arg.id({ required: true }), consistentWith: t.arg.string(consistentWithArg) },
      resolve: async (_root, args, ctx) => {
        requireUser(ctx.auth);
        await readConsistently(ctx, ORDERS, args.consistentWith);
        const order = await visibleOrder(ctx, String(args.orderId));
        return order ? historyLoader(ctx).load(order.id) : [];
      },
    }),
    orderAt: t.field({
      type: OrderType,
      nullable: true,
      description: 'Time travel: the order as it was at a version or a moment, folded from its events.',
      args: {
        id: t.arg.id({ required: true }),
        version: t.arg.int({ required: false }),
        asOf: t.arg({ type: 'DateTime', required: false }),
      },
      resolve: async (_root, args, ctx) => {
        const actor = requireUser(ctx.auth);
        if (args.version !== null && args.version !== undefined && args.version < 1) {
          throw new ValidationError([{ path: 'version', message: 'must be at least 1' }]);
        }
        const order = await orderAsItWas(ctx, orderStreamId(String(args.id)), args.version ?? undefined, args.asOf ?? undefined);
        if (!order) return null;
        if (!order.state.exists || !canSeeOrder(actor, order.state)) return null;
        return orderViewFromState(order.state, order.version);
      },
    }),
  }));
}
