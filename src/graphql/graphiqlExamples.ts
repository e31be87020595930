import { DEAD_LETTERS_EXAMPLE } from './graphiqlDeadLetterExamples.js';
import { WEBHOOK_EXAMPLE } from './graphiqlWebhookExamples.js';

/**
 * The example operations GraphiQL opens with in development: one tab for the order lifecycle
 * (every command, in order), one for queries, one for subscriptions, one for webhooks (admin), one
 * for every reaction target's dead letters (admin). A unit test validates every operation and its
 * variables against the schema, so they cannot drift from the contract.
 */
export interface GraphiQLExample {
  title: string;
  query: string;
  /** JSON-encoded variables for the tab (shared by the tab's operations). */
  variables: string;
}

const lifecycle = /* GraphQL */ `
  # The whole order lifecycle, one command per operation: pick one with the run button (▶) in order.
  # The header editor holds a development staff token. After RegisterCustomer, copy customer.id into
  # the "customerId" variable. Every result is a union: the success type or a typed error with a code.

  mutation RegisterCustomer($email: String!) {
    registerCustomer(input: { name: "Ada Lovelace", email: $email }) {
      ... on RegisterCustomerSuccess {
        customer {
          id
          name
          email
        }
        token
        position
      }
      ...Failure
    }
  }

  mutation AddProduct($sku: String!) {
    addProduct(input: { sku: $sku, name: "Notebook", priceCents: 1250, initialStock: 5 }) {
      ... on AddProductSuccess {
        product {
          sku
          priceCents
          available
        }
        position
      }
      ...Failure
    }
  }

  mutation RestockProduct($sku: String!) {
    restockProduct(input: { sku: $sku, quantity: 10 }) {
      ... on RestockProductSuccess {
        product {
          sku
          onHand
          available
        }
        version
      }
      ...Failure
    }
  }

  mutation CreateOrder($customerId: ID!, $orderId: ID!) {
    createOrder(input: { customerId: $customerId, orderId: $orderId }) {
      ... on CreateOrderSuccess {
        order {
          id
          status
        }
        version
        position
      }
      ...Failure
    }
  }

  mutation AddItem($orderId: ID!, $sku: String!) {
    addItem(input: { orderId: $orderId, sku: $sku, quantity: 2 }) {
      ... on AddItemSuccess {
        order {
          items {
            sku
            quantity
            unitPriceCents
            lineTotalCents
          }
          totalCents
        }
        version
      }
      ...Failure
    }
  }

  mutation SubmitOrder($orderId: ID!) {
    submitOrder(input: { orderId: $orderId }) {
      ... on SubmitOrderSuccess {
        order {
          status
          totalCents
        }
        events {
          type
          position
        }
      }
      ... on InsufficientStockError {
        shortages {
          sku
          requested
          available
        }
      }
      ...Failure
    }
  }

  mutation RecordPayment($orderId: ID!) {
    recordPayment(input: { orderId: $orderId, amountCents: 2500, paymentRef: "pay-1" }) {
      ... on RecordPaymentSuccess {
        order {
          status
        }
      }
      ... on PaymentMismatchError {
        expectedAmountCents
      }
      ...Failure
    }
  }

  mutation ShipOrder($orderId: ID!) {
    shipOrder(input: { orderId: $orderId, carrier: "DHL", trackingNumber: "JD0123456789" }) {
      ... on ShipOrderSuccess {
        order {
          status
        }
      }
      ...Failure
    }
  }

  mutation DeliverOrder($orderId: ID!) {
    deliverOrder(input: { orderId: $orderId }) {
      ... on DeliverOrderSuccess {
        order {
          status
        }
      }
      ...Failure
    }
  }

  # Instead of shipping: cancel. Staff may cancel a PAID order too; that records a refund.
  mutation CancelOrder($orderId: ID!) {
    cancelOrder(input: { orderId: $orderId, reason: "changed my mind" }) {
      ... on CancelOrderSuccess {
        order {
          status
        }
        events {
          type
        }
      }
      ...Failure
    }
  }

  mutation RemoveItem($orderId: ID!, $sku: String!) {
    removeItem(input: { orderId: $orderId, sku: $sku, quantity: 1 }) {
      ... on RemoveItemSuccess {
        order {
          items {
            sku
            quantity
          }
          totalCents
        }
      }
      ...Failure
    }
  }

  # Forgetting a customer (the customer themself, or admin): their name and email become unreadable
  # everywhere, their orders stay. Needs an admin token in the header editor, or the customer's own.
  mutation ForgetCustomer($customerId: ID!) {
    forgetCustomer(input: { customerId: $customerId }) {
      ... on ForgetCustomerSuccess {
        customer {
          id
          name
          email
          forgotten
        }
        position
      }
      ...Failure
    }
  }

  fragment Failure on Error {
    __typename
    code
    message
    ... on ValidationError {
      fieldErrors {
        path
        message
      }
    }
    ... on ConcurrencyConflictError {
      expectedVersion
      actualVersion
    }
  }
`;

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

const ids = { customerId: 'paste customer.id from RegisterCustomer', orderId: 'order-1', sku: 'BOOK-1' };

export const GRAPHIQL_EXAMPLES: readonly GraphiQLExample[] = [
  { title: 'Order lifecycle', query: lifecycle.trimStart(), variables: JSON.stringify({ email: 'ada@example.com', ...ids }, null, 2) },
  { title: 'Queries', query: queries.trimStart(), variables: JSON.stringify({ ...ids, position: null }, null, 2) },
  { title: 'Subscriptions', query: subscriptions.trimStart(), variables: JSON.stringify({ orderId: ids.orderId, sku: ids.sku }, null, 2) },
  WEBHOOK_EXAMPLE,
  DEAD_LETTERS_EXAMPLE,
];
