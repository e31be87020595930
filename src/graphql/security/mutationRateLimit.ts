import { getOperationAST, GraphQLError, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../../logger.js';
import type { GraphQLContext } from '../context.js';
import { clientAddress } from './clientAddress.js';
import type { RateLimitStore, RateVerdict } from './rateLimitStores.js';

/** Who a mutation is counted against: the token's subject, or the client's address when anonymous. */
function identityOf(context: GraphQLContext): string {
  const actor = context.auth?.actor;
  return actor?.kind === 'user' ? `user:${actor.sub}` : `address:${clientAddress(context)}`;
}

/**
 * Limits mutations per identity (RATE_LIMIT_MUTATIONS_PER_MINUTE; 0 turns it off). Each root
 * mutation field costs one token, so aliasing many mutations into one operation counts them all.
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
      let verdict: RateVerdict;
      try {
        verdict = await store.take(identityOf(args.contextValue as unknown as GraphQLContext), cost);
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
          new GraphQLError(`too many mutations: at most ${perMinute} a minute per caller; retry in ${retryAfterSeconds} s`, {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds,
              http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
            },
          }),
        ],
      });
    },
  };
}
