import { graphql } from './gql/index.js';

/** One of the customer's orders: its current status first, then each change. */
export const CustomerOrderStatusSubscription = graphql(`
  subscription CustomerOrderStatus($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      orderId
      status
      version
      position
      order {
        ...OrderRow
      }
    }
  }
`);
