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

export const ReactionTargetFields = graphql(`
  fragment ReactionTargetRow on ReactionTarget {
    id
    kind
    enabled
    disabledReason
    lag
    failedCount
    deadCount
  }
`);

/** Every reaction target (webhook endpoints, the event bus, customer emails) with its counts. */
export const ReactionTargetsQuery = graphql(`
  query DashboardReactionTargets {
    reactionTargets {
      ...ReactionTargetRow
    }
  }
`);

export const EnableReactionTargetMutation = graphql(`
  mutation DashboardEnableReactionTarget($targetId: ID!) {
    enableReactionTarget(input: { targetId: $targetId }) {
      __typename
      ... on EnableReactionTargetSuccess {
        target {
          ...ReactionTargetRow
        }
      }
      ...Refusal
    }
  }
`);

export const RedeliverDeadReactionsMutation = graphql(`
  mutation DashboardRedeliverDeadReactions($targetId: ID!) {
    redeliverDeadReactions(input: { targetId: $targetId }) {
      __typename
      ... on RedeliverDeadReactionsSuccess {
        count
      }
      ...Refusal
    }
  }
`);
