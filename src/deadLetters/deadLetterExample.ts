import type { GraphiQLExample } from '../graphql/graphiql.js';

// Its own tab because these operations are admin-only: the development token GraphiQL prefills is
// staff's, so they answer FORBIDDEN until the header holds an admin token.
const deadLetters = /* GraphQL */ `
  # Dead letters of every reaction target (webhook endpoints, the event bus, customer emails).
  # Admin only: replace the header's staff token with an admin one (npm run token -- --role admin --sub you).
  # Deliveries show their status and attempts, never the message or an address.

  query ReactionTargets {
    reactionTargets {
      id
      kind
      enabled
      disabledReason
      lag
      pendingCount
      failedCount
      deadCount
    }
  }

  query DeadLetters($targetId: ID) {
    reactionDeliveries(targetId: $targetId, status: DEAD, first: 20) {
      totalCount
      edges {
        node {
          id
          kind
          eventType
          subject
          attempts {
            at
            statusCode
            error
          }
        }
      }
    }
  }

  mutation RedeliverReaction($deliveryId: ID!) {
    redeliverReaction(input: { deliveryId: $deliveryId }) {
      ... on RedeliverReactionSuccess {
        delivery {
          id
          status
        }
      }
      ... on Error {
        code
        message
      }
    }
  }

  mutation RedeliverDeadReactions($targetId: ID!) {
    redeliverDeadReactions(input: { targetId: $targetId }) {
      ... on RedeliverDeadReactionsSuccess {
        count
      }
      ... on Error {
        code
        message
      }
    }
  }

  mutation EnableReactionTarget($targetId: ID!) {
    enableReactionTarget(input: { targetId: $targetId }) {
      ... on EnableReactionTargetSuccess {
        target {
          id
          enabled
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`;

/** The feature's GraphiQL tab. */
export const deadLetterExample: GraphiQLExample = {
  title: 'Dead letters (admin)',
  query: deadLetters.trimStart(),
  variables: JSON.stringify(
    { targetId: 'paste a target id from ReactionTargets', deliveryId: 'paste a delivery id from DeadLetters' },
    null,
    2,
  ),
};
