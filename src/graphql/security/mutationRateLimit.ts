import { getOperationAST, GraphQLError, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import { clientAddress } from './clientAddress.js';

/** Buckets kept at most; beyond it the ones that refilled are dropped (they hold nothing). */
const MAX_BUCKETS = 100_000;

/**
 * A token bucket per identity: `perMinute` tokens, refilled continuously, so an identity may burst
 * up to a minute's allowance and then sustains `perMinute / 60` mutations a second.
 *
 * The buckets live in this process: with several server processes each enforces its own limit
 * (an identity may get up to N times the rate across N processes). A shared store (Redis or
 * PostgreSQL) would make it global; per-instance is the deliberate, cheap first line here.
 */
export class MutationRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes `cost` tokens for `identity`; when there are not enough, takes none and says when to retry. */
  take(identity: string, cost: number): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    const previous = this.buckets.get(identity);
    const tokens = previous ? Math.min(this.perMinute, previous.tokens + (now - previous.at) * this.perMs) : this.perMinute;
    if (tokens < cost) {
      this.buckets.set(identity, { tokens, at: now });
      return { allowed: false, retryAfterMs: Math.ceil((Math.min(cost, this.perMinute) - tokens) / this.perMs) };
    }
    this.buckets.delete(identity); // re-inserted last: the Map's order is least recently used first
    this.buckets.set(identity, { tokens: tokens - cost, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.evict(now);
    return { allowed: true };
  }

  private evict(now: number): void {
    for (const [identity, bucket] of this.buckets) {
      if (this.buckets.size <= MAX_BUCKETS * 0.9) return;
      // Full buckets are forgotten at no cost; if too few are full, the least recently used go.
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute || this.buckets.size > MAX_BUCKETS) this.buckets.delete(identity);
    }
  }
}

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
export function useMutationRateLimit(perMinute: number): Plugin {
  if (perMinute === 0) return {};
  const limiter = new MutationRateLimiter(perMinute);
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const cost = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && s.name.value !== '__typename').length;
      if (cost === 0) return;
      const verdict = limiter.take(identityOf(args.contextValue as unknown as GraphQLContext), cost);
      if (verdict.allowed) return;
      const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      setResultAndStopExecution({
        errors: [
          new GraphQLError(`too many mutations: at most ${perMinute} a minute per caller; retry in ${retryAfterSeconds} s`, {
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds, http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } } },
          }),
        ],
      });
    },
  };
}
