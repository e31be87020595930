import { graphql } from './gql/index.js';

// The commands staff give from the dashboard: each is the API's own mutation, asking for the
// changed order or product (which Apollo writes to its cache) or the typed refusal with its code.

export const ShipOrderMutation = graphql(`
  mutation DashboardShipOrder($orderId: ID!, $carrier: String!, $trackingNumber: String!) {
    shipOrder(input: { orderId: $orderId, carrier: $carrier, trackingNumber: $trackingNumber }) {
      __typename
      ... on ShipOrderSuccess {
        order {
          ...OrderRow
          shipment {
            ...ShipmentFields
          }
        }
      }
      ...Refusal
    }
  }
`);

export const DeliverOrderMutation = graphql(`
  mutation DashboardDeliverOrder($orderId: ID!) {
    deliverOrder(input: { orderId: $orderId }) {
      __typename
      ... on DeliverOrderSuccess {
        order {
          ...OrderRow
        }
      }
      ...Refusal
    }
  }
`);

export const CancelOrderMutation = graphql(`
  mutation DashboardCancelOrder($orderId: ID!, $reason: String!) {
    cancelOrder(input: { orderId: $orderId, reason: $reason }) {
      __typename
      ... on CancelOrderSuccess {
        order {
          ...OrderRow
        }
      }
      ...Refusal
    }
  }
`);

export const RecordPaymentMutation = graphql(`
  mutation DashboardRecordPayment($orderId: ID!, $amountCents: Int!, $paymentRef: String!) {
    recordPayment(input: { orderId: $orderId, amountCents: $amountCents, paymentRef: $paymentRef }) {
      __typename
      ... on RecordPaymentSuccess {
        order {
          ...OrderRow
        }
      }
      ...Refusal
    }
  }
`);

export const AddProductMutation = graphql(`
  mutation DashboardAddProduct($sku: String!, $name: String!, $priceCents: Int!, $initialStock: Int!) {
    addProduct(input: { sku: $sku, name: $name, priceCents: $priceCents, initialStock: $initialStock }) {
      __typename
      ... on AddProductSuccess {
        product {
          ...ProductRow
        }
      }
      ...Refusal
    }
  }
`);

export const RestockProductMutation = graphql(`
  mutation DashboardRestockProduct($sku: String!, $quantity: Int!) {
    restockProduct(input: { sku: $sku, quantity: $quantity }) {
      __typename
      ... on RestockProductSuccess {
        product {
          ...ProductRow
        }
      }
      ...Refusal
    }
  }
`);

/** Every typed refusal: its code and reason, and for invalid input which field broke which rule. */
export const RefusalFields = graphql(`
  fragment Refusal on Error {
    code
    message
    ... on ValidationError {
      fieldErrors {
        path
        message
      }
    }
  }
`);
