import { customerTypes } from '../customers/customerTypes.js';
import type { Builder } from '../graphql/builder.js';
import { keysetConnection } from '../graphql/cursors.js';
import { readDbOf } from '../graphql/readRouting.js';
import { countOrders, orderCursorKey, pageOfOrders } from './orderReads.js';
import { orderTypes } from './orderTypes.js';

// A customer's orders are an orders read: the orders feature adds the field to the customer type,
// so that customers need not know about orders (orders already depend on customers).

/** Adds this slice's GraphQL to a schema builder. */
export function customerOrders(builder: Builder): void {
  const { CustomerType } = customerTypes(builder);
  const { OrderConnection, OrderType } = orderTypes(builder);
  builder.objectField(CustomerType, 'orders', (t) =>
    t.connection(
      {
        type: OrderType,
        description: "This customer's orders, newest first.",
        resolve: (c, args, ctx) =>
          keysetConnection(
            args,
            orderCursorKey,
            (page) => pageOfOrders(readDbOf(ctx).prisma, { customerId: c.id }, page),
            () => countOrders(readDbOf(ctx).prisma, { customerId: c.id }),
          ),
      },
      OrderConnection,
    ),
  );
}
