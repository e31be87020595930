import { getOperationAST, GraphQLError, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../logger.js';
import type { GraphQLContext } from '../context.js';
import { clientAddress } from './clientAddress.js';
import type { RateLimitStore, RateVerdict } from './rateLimitStores.js';

/**
 * Whom a mutation is counted against: the client's address, and the token's subject too. Both for
 * anonymous and customer callers, whose identities anyone can make (signing up hands out a customer
 * token): per subject alone, each sign-up would bring a fresh allowance to the same client. Tokens
 * of the other roles come only from the operators, so those count per subject alone, and a back
 * office or payment service behind one address is not throttled by its neighbours.
 */
function identitiesOf(context: GraphQLContext): string[] {
  const actor = context.auth?.actor;
  const address = `address:${clientAddress(context)}`;
  if (actor?.kind !== 'user') return [address];
  return actor.role === 'customer' ? [address, `user:${actor.sub}`] : [`user:${actor.sub}`];
}

/**
 * Limits mutations per client address and per token subject, as {@link identitiesOf} counts them
 * (RATE_LIMIT_MUTATIONS_PER_MINUTE each; 0 turns it off). Each root mutation field costs one token, so aliasing many mutations into one
 * operation counts them all; an operation refused by one bucket may still have taken from the other.
 * A refused operation executes nothing and answers RATE_LIMITED with `retryAfterSeconds` (and, over
 * HTTP, status 429 with `Retry-After`).
 */
export function useMutationRateLimit(perMinute: number, store: RateLimitStore | undefined, logger: Logger): Plugin {
  if (perMinute === 0 || !store) return {};
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const cost = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && s.name.value !== '__typename').length;
      if (cost === 0) return;
      let verdict: RateVerdict = { allowed: true };
      try {
        for (const identity of identitiesOf(args.contextValue as unknown as GraphQLContext)) {
          verdict = await store.take(identity, cost);
          if (!verdict.allowed) break;
        }
      } catch (err) {
        // The limit protects the service; it must not become an outage of its own. When the store
        // cannot answer, let the mutation through (it meets the database's own state next).
        logger.warn({ err }, 'mutation rate limit store unavailable; not limiting this mutation');
        return;
      }
      if (verdict.allowed) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `too many mutations: at most ${perMinute} a minute per caller and per client address; retry in ${retryAfterSeconds} s`,
            {
              extensions: {
                code: 'RATE_LIMITED',
                retryAfterSeconds,
                http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
              },
            },
          ),
        ],
      });
    },
  };
}
