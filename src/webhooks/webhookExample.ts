import type { GraphiQLExample } from '../graphql/graphiql.js';

// Its own tab because the webhook operations are admin-only: the development token GraphiQL
// prefills is staff's, so these answer FORBIDDEN until the header holds an admin token.
const webhooks = /* GraphQL */ `
  # Webhooks are admin-only: replace the header's staff token with an admin one (npm run token -- --role admin --sub you).
  # After CreateWebhookEndpoint, copy endpoint.id into "endpointId"; the secret is shown this once.
  # After Deliveries, copy a delivery's id into "deliveryId".

  mutation CreateWebhookEndpoint($url: String!) {
    createWebhookEndpoint(input: { url: $url, eventTypes: ["ordersource.order.paid.v1"], description: "Fulfilment" }) {
      ... on CreateWebhookEndpointSuccess {
        secret
        endpoint {
          ...Endpoint
        }
      }
      ...Refusal
    }
  }

  query Endpoints {
    webhookEndpoints {
      ...Endpoint
    }
  }

  query Deliveries($endpointId: ID) {
    webhookDeliveries(endpointId: $endpointId, first: 20) {
      totalCount
      edges {
        node {
          id
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
      }
    }
  }

  mutation UpdateWebhookEndpoint($endpointId: ID!) {
    updateWebhookEndpoint(input: { endpointId: $endpointId, eventTypes: null, description: "Every event" }) {
      ... on UpdateWebhookEndpointSuccess {
        endpoint {
          ...Endpoint
        }
      }
      ...Refusal
    }
  }

  mutation RotateWebhookSecret($endpointId: ID!) {
    rotateWebhookSecret(input: { endpointId: $endpointId }) {
      ... on RotateWebhookSecretSuccess {
        secret
        endpoint {
          id
        }
      }
      ...Refusal
    }
  }

  mutation RedeliverWebhook($deliveryId: ID!) {
    redeliverWebhook(input: { deliveryId: $deliveryId }) {
      ... on RedeliverWebhookSuccess {
        delivery {
          id
          status
          nextAttemptAt
        }
      }
      ...Refusal
    }
  }

  mutation RedeliverDeadWebhooks($endpointId: ID!) {
    redeliverDeadWebhooks(input: { endpointId: $endpointId }) {
      ... on RedeliverDeadWebhooksSuccess {
        count
      }
      ...Refusal
    }
  }

  mutation EnableWebhookEndpoint($endpointId: ID!) {
    enableWebhookEndpoint(input: { endpointId: $endpointId }) {
      ... on EnableWebhookEndpointSuccess {
        endpoint {
          ...Endpoint
        }
      }
      ...Refusal
    }
  }

  mutation DeleteWebhookEndpoint($endpointId: ID!) {
    deleteWebhookEndpoint(input: { endpointId: $endpointId }) {
      ... on DeleteWebhookEndpointSuccess {
        endpointId
      }
      ...Refusal
    }
  }

  fragment Endpoint on WebhookEndpoint {
    id
    url
    eventTypes
    description
    enabled
    disabledReason
    lag
    createdAt
  }

  fragment Refusal on Error {
    __typename
    code
    message
    ... on ValidationError {
      fieldErrors {
        path
        message
      }
    }
  }
`;

/** The feature's GraphiQL tab. */
export const webhookExample: GraphiQLExample = {
  title: 'Webhooks (admin)',
  query: webhooks.trimStart(),
  variables: JSON.stringify(
    { url: 'https://example.com/hooks/ordersource', endpointId: 'paste endpoint.id', deliveryId: 'paste a delivery id' },
    null,
    2,
  ),
};
