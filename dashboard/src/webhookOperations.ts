import { graphql } from './gql/index.js';

// The webhooks page's operations (admin): the API's own queries and mutations, as the schema has them.

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointRow on WebhookEndpoint {
    id
    url
    eventTypes
    description
    enabled
    disabledReason
    createdAt
    lag
  }
`);

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryRow on WebhookDelivery {
    id
    endpointId
    eventId
    eventType
    subject
    status
    nextAttemptAt
    attempts {
      at
      statusCode
      latencyMs
      error
      responseBody
    }
  }
`);

export const WebhookEndpointsQuery = graphql(`
  query DashboardWebhookEndpoints {
    webhookEndpoints {
      ...WebhookEndpointRow
    }
  }
`);

/** The newest deliveries, of one endpoint and one status when given (dead letters: status DEAD). */
export const WebhookDeliveriesQuery = graphql(`
  query DashboardWebhookDeliveries($endpointId: ID, $status: DeliveryStatus, $first: Int!) {
    webhookDeliveries(endpointId: $endpointId, status: $status, first: $first) {
      totalCount
      edges {
        node {
          ...WebhookDeliveryRow
        }
      }
    }
  }
`);

export const CreateWebhookEndpointMutation = graphql(`
  mutation DashboardCreateWebhookEndpoint($url: String!, $eventTypes: [String!], $description: String) {
    createWebhookEndpoint(input: { url: $url, eventTypes: $eventTypes, description: $description }) {
      __typename
      ... on CreateWebhookEndpointSuccess {
        secret
        endpoint {
          ...WebhookEndpointRow
        }
      }
      ...Refusal
    }
  }
`);

export const EnableWebhookEndpointMutation = graphql(`
  mutation DashboardEnableWebhookEndpoint($endpointId: ID!) {
    enableWebhookEndpoint(input: { endpointId: $endpointId }) {
      __typename
      ... on EnableWebhookEndpointSuccess {
        endpoint {
          ...WebhookEndpointRow
        }
      }
      ...Refusal
    }
  }
`);

export const RedeliverWebhookMutation = graphql(`
  mutation DashboardRedeliverWebhook($deliveryId: ID!) {
    redeliverWebhook(input: { deliveryId: $deliveryId }) {
      __typename
      ... on RedeliverWebhookSuccess {
        delivery {
          ...WebhookDeliveryRow
        }
      }
      ...Refusal
    }
  }
`);

export const RedeliverDeadWebhooksMutation = graphql(`
  mutation DashboardRedeliverDeadWebhooks($endpointId: ID!) {
    redeliverDeadWebhooks(input: { endpointId: $endpointId }) {
      __typename
      ... on RedeliverDeadWebhooksSuccess {
        count
      }
      ...Refusal
    }
  }
`);
