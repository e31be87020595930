import { graphql } from './gql/index.js';

// Every operation the dashboard sends, in one place. `npm run dashboard:codegen` types each one
// against schema.graphql; the generated documents are what the components import.

export const OrderRowFields = graphql(`
  fragment OrderRow on Order {
    id
    customerId
    customerName
    status
    itemCount
    totalCents
    version
    createdAt
    updatedAt
  }
`);

export const ShipmentFields = graphql(`
  fragment ShipmentFields on Shipment {
    carrier
    trackingNumber
    shippedAt
  }
`);

export const ProductRowFields = graphql(`
  fragment ProductRow on Product {
    sku
    name
    priceCents
    onHand
    reserved
    available
  }
`);

/** The newest orders; the feed below keeps them current. */
export const OrdersQuery = graphql(`
  query DashboardOrders($first: Int!) {
    orders(first: $first) {
      totalCount
      edges {
        node {
          ...OrderRow
        }
      }
    }
  }
`);

/** Every order change (staff): an unseen order is added to the table, a known one changes in place. */
export const OrderFeedSubscription = graphql(`
  subscription DashboardOrderFeed {
    orderFeed {
      orderId
      type
      status
      version
      position
      occurredAt
      order {
        ...OrderRow
      }
    }
  }
`);

/** One order with its lines and every event of its life, oldest first. */
export const OrderTimelineQuery = graphql(`
  query DashboardOrderTimeline($orderId: ID!, $consistentWith: String) {
    order(id: $orderId, consistentWith: $consistentWith) {
      ...OrderRow
      shipment {
        ...ShipmentFields
      }
      items {
        sku
        name
        quantity
        unitPriceCents
        lineTotalCents
      }
    }
    orderHistory(orderId: $orderId, consistentWith: $consistentWith) {
      position
      version
      type
      occurredAt
      data
    }
  }
`);

/** The order's status changes after `after` (the last position of the timeline), then live. */
export const OrderStatusSubscription = graphql(`
  subscription DashboardOrderStatus($orderId: ID!, $after: String) {
    orderStatusChanged(orderId: $orderId, after: $after) {
      orderId
      status
      previousStatus
      version
      position
      occurredAt
      order {
        ...OrderRow
        shipment {
          ...ShipmentFields
        }
      }
    }
  }
`);

/** Orders and money per bucket of time, kept by the sales projection (staff). */
export const SalesStatsQuery = graphql(`
  query DashboardSalesStats($from: DateTime!, $to: DateTime!, $bucket: StatsBucket!, $consistentWith: String) {
    salesStats(from: $from, to: $to, bucket: $bucket, consistentWith: $consistentWith) {
      start
      ordersCreated
      ordersPaid
      ordersCancelled
      revenueCents
      refundsCents
    }
  }
`);

/** Only the log position of each order change: the sales chart reads its figures again up to it. */
export const SalesFeedSubscription = graphql(`
  subscription DashboardSalesFeed {
    orderFeed {
      position
    }
  }
`);

/** Every projection's progress (staff). */
export const ProjectionsQuery = graphql(`
  query DashboardProjections {
    projections {
      ...ProjectionRow
    }
  }
`);

export const ProjectionRowFields = graphql(`
  fragment ProjectionRow on ProjectionStatus {
    name
    version
    status
    position
    lag
    lastError
  }
`);

/** Restarts a FAILED projection at the event it failed on (admin). */
export const RetryProjectionMutation = graphql(`
  mutation DashboardRetryProjection($name: String!) {
    retryProjection(input: { name: $name }) {
      __typename
      ... on ProjectionStatus {
        ...ProjectionRow
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

/** Moves a FAILED projection past the event it failed on (admin); the event stays in the log. */
export const SkipProjectionEventMutation = graphql(`
  mutation DashboardSkipProjectionEvent($name: String!) {
    skipProjectionEvent(input: { name: $name }) {
      __typename
      ... on ProjectionStatus {
        ...ProjectionRow
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

/** The catalog with its stock. */
export const ProductsQuery = graphql(`
  query DashboardProducts($first: Int!) {
    products(first: $first) {
      totalCount
      edges {
        node {
          ...ProductRow
        }
      }
    }
  }
`);

/** Every product's stock as it changes. */
export const InventorySubscription = graphql(`
  subscription DashboardInventory {
    inventoryChanged {
      ...ProductRow
    }
  }
`);

/** Orders matching a search (customer name or email, order id, sku, product name), best match first. */
export const SearchOrdersQuery = graphql(`
  query DashboardSearchOrders($query: String!, $first: Int!) {
    searchOrders(query: $query, first: $first) {
      totalCount
      edges {
        node {
          ...OrderRow
        }
      }
    }
  }
`);
