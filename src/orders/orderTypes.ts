import { definedOnce } from '../graphql/builder.js';
import { ORDER_STATUSES } from './orderEvents.js';
import type { OrderView } from './orderView.js';
import { paymentDueAt } from './paymentDeadline.js';

/** The slice's shared types, defined once per schema builder. */
export const orderTypes = definedOnce((builder) => {
  const OrderStatusEnum = builder.enumType('OrderStatus', {
    description: 'DRAFT -> SUBMITTED -> PAID -> SHIPPED -> DELIVERED, or CANCELLED, or EXPIRED (not paid by its payment deadline).',
    values: ORDER_STATUSES,
  });

  const OrderItem = builder.objectRef<OrderView['items'][number]>('OrderItem').implement({
    fields: (t) => ({
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      quantity: t.exposeInt('quantity'),
      unitPriceCents: t.exposeInt('unitPriceCents', { description: 'Captured from the catalog when the line was added.' }),
      lineTotalCents: t.exposeInt('lineTotalCents'),
    }),
  });

  const OrderType = builder.objectRef<OrderView>('Order').implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      customerId: t.exposeID('customerId'),
      status: t.field({ type: OrderStatusEnum, resolve: (o) => o.status }),
      items: t.field({ type: [OrderItem], resolve: (o) => o.items }),
      itemCount: t.exposeInt('itemCount', { description: 'Units across all lines.' }),
      totalCents: t.exposeInt('totalCents'),
      version: t.exposeInt('version', { description: 'The order stream version: use it as expectedVersion.' }),
      createdAt: t.field({ type: 'DateTime', resolve: (o) => o.createdAt }),
      updatedAt: t.field({ type: 'DateTime', resolve: (o) => o.updatedAt }),
      paymentDueAt: t.field({
        type: 'DateTime',
        nullable: true,
        description:
          'While SUBMITTED: when the order expires (and its stock is released) unless paid by then. Null otherwise, or with deadlines off.',
        resolve: (o, _args, ctx) => paymentDueAt(o, ctx.services.config.paymentTimeoutSeconds),
      }),
    }),
  });

  /** `OrderConnection`, the Relay connection of orders with `totalCount`, shared by `orders` and `Customer.orders`. */
  const OrderConnection = builder.connectionObject({ type: OrderType, name: 'OrderConnection' }, { name: 'OrderEdge' });
  return { OrderStatusEnum, OrderType, OrderConnection };
});
