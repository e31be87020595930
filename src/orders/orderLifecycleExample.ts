import type { GraphiQLExample } from '../graphql/graphiql.js';

/** The ids the orders' GraphiQL tabs share, so an order made in one tab is read and watched in the others. */
export const EXAMPLE_IDS = { customerId: 'paste customer.id from RegisterCustomer', orderId: 'order-1', sku: 'BOOK-1' };

// The whole walk in one tab, the customer and product it needs included, so a newcomer runs every
// command in order without switching tabs.
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

/** GraphiQL's first tab: every command of an order's life, in order. */
export const orderLifecycleExample: GraphiQLExample = {
  title: 'Order lifecycle',
  query: lifecycle.trimStart(),
  variables: JSON.stringify({ email: 'ada@example.com', ...EXAMPLE_IDS }, null, 2),
};
