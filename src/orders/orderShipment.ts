import DataLoader from 'dataloader';
import type { Builder } from '../graphql/builder.js';
import type { GraphQLContext } from '../graphql/context.js';
import { readDbOf, readPositionReached, waitForReadPosition } from '../graphql/readRouting.js';
import type { OrderEvent, OrderStatus } from './orderEvents.js';
import { orderTypes } from './orderTypes.js';

const ORDERS = ['orders'] as const;

/** How an order left the warehouse: its `OrderShipped` event, as the history read table holds it. */
interface Shipment {
  carrier: string;
  trackingNumber: string;
  shippedAt: Date;
}

// Shipping is the only way into these, and nothing leaves them but delivery: an order in any other
// status has no shipment, and none is looked up for it.
const SHIPPED_STATUSES: ReadonlySet<OrderStatus> = new Set(['SHIPPED', 'DELIVERED']);

/** One query per request for every shipped order whose shipment is asked for (the orders table). */
const shipmentLoaders = new WeakMap<object, DataLoader<string, Shipment | null>>();
function shipmentLoader(ctx: GraphQLContext): DataLoader<string, Shipment | null> {
  let loader = shipmentLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await readDbOf(ctx).prisma.orderHistoryEntry.findMany({
        where: { orderId: { in: [...ids] }, type: 'OrderShipped' satisfies OrderEvent['type'] },
        select: { orderId: true, occurredAt: true, data: true },
      });
      const byOrder = new Map(rows.map((row) => [row.orderId, row]));
      return ids.map((id) => {
        const row = byOrder.get(id);
        if (!row) return null;
        const data = row.data as Extract<OrderEvent, { type: 'OrderShipped' }>['data'];
        return { carrier: data.carrier, trackingNumber: data.trackingNumber, shippedAt: row.occurredAt };
      });
    });
    shipmentLoaders.set(ctx, loader);
  }
  return loader;
}

/** Adds `Order.shipment` (and the `Shipment` type) to a schema builder. */
export function orderShipment(builder: Builder): void {
  const { OrderType } = orderTypes(builder);
  const ShipmentType = builder.objectRef<Shipment>('Shipment').implement({
    description: 'How an order was shipped.',
    fields: (t) => ({
      carrier: t.exposeString('carrier'),
      trackingNumber: t.exposeString('trackingNumber'),
      shippedAt: t.field({ type: 'DateTime', resolve: (s) => s.shippedAt }),
    }),
  });

  builder.objectField(OrderType, 'shipment', (t) =>
    t.field({
      type: ShipmentType,
      nullable: true,
      description: 'Carrier, tracking number and time of shipping; null until the order is shipped.',
      resolve: async (order, _args, ctx) => {
        if (!SHIPPED_STATUSES.has(order.status)) return null;
        // An order straight from a command result may be ahead of the read side by a moment (and
        // one from the primary ahead of a replica).
        const position = order.position ? BigInt(order.position) : undefined;
        if (position !== undefined && !readPositionReached(ctx, ORDERS, position)) await waitForReadPosition(ctx, ORDERS, position);
        return shipmentLoader(ctx).load(order.id);
      },
    }),
  );
}
