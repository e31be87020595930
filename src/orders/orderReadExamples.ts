import type { GraphiQLExample } from '../graphql/graphiql.js';
import { EXAMPLE_IDS } from './orderLifecycleExample.js';

const queries = /* GraphQL */ `
  # Queries read the projections' tables. Pass a mutation's "position" as consistentWith to wait
  # until the read side has caught up with it (read your own writes).

  query Order($orderId: ID!, $position: String) {
    order(id: $orderId, consistentWith: $position) {
      id
      status
      totalCents
      version
      items {
        sku
        name
        quantity
        unitPriceCents
        lineTotalCents
      }
      history {
        type
        version
        position
        occurredAt
      }
    }
  }

  query Orders {
    orders(first: 10, status: SUBMITTED) {
      totalCount
      edges {
        cursor
        node {
          id
          customerId
          status
          totalCents
          updatedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }

  query OrderAtVersion($orderId: ID!) {
    orderAt(id: $orderId, version: 2) {
      status
      items {
        sku
        quantity
      }
      totalCents
      version
    }
  }

  query Customer($customerId: ID!) {
    customer(id: $customerId) {
      name
      email
      orderCount
      totalSpentCents
      orders(first: 5) {
        edges {
          node {
            id
            status
          }
        }
      }
    }
  }

  query Catalog {
    products(first: 20) {
      totalCount
      edges {
        node {
          sku
          name
          priceCents
          onHand
          reserved
          available
        }
      }
    }
  }

  query Projections {
    headPosition
    projections {
      name
      position
      lag
      status
      lastError
    }
  }
`;

const subscriptions = /* GraphQL */ `
  # Subscriptions push read-model changes after the projection has committed them. Start one, then
  # run mutations in another tab. "after" (any position the API returned) replays what came since.

  subscription OrderStatus($orderId: ID!) {
    orderStatusChanged(orderId: $orderId) {
      status
      previousStatus
      version
      position
      occurredAt
      order {
        totalCents
      }
    }
  }

  subscription OrderFeed {
    orderFeed {
      orderId
      type
      status
      position
      order {
        customerId
        totalCents
        itemCount
      }
    }
  }

  subscription Inventory($sku: String) {
    inventoryChanged(sku: $sku) {
      sku
      onHand
      reserved
      available
    }
  }
`;

/** GraphiQL's tab of queries: the orders, their customer and the catalog, read as of a position. */
export const orderQueriesExample: GraphiQLExample = {
  title: 'Queries',
  query: queries.trimStart(),
  variables: JSON.stringify({ ...EXAMPLE_IDS, position: null }, null, 2),
};

/** GraphiQL's tab of subscriptions: an order's status, every order, the stock. */
export const orderSubscriptionsExample: GraphiQLExample = {
  title: 'Subscriptions',
  query: subscriptions.trimStart(),
  variables: JSON.stringify({ orderId: EXAMPLE_IDS.orderId, sku: EXAMPLE_IDS.sku }, null, 2),
};
