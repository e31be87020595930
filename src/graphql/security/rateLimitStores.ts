import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import type { Config } from '../../config.js';

/** Buckets kept in memory at most; beyond it the least recently used go. */
const MAX_BUCKETS = 100_000;

/** A verdict on taking `cost` tokens: allowed, or refused with the time until enough are back. */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * One limit's rule: `capacity` tokens per identity, refilled continuously over `windowMs`, so an
 * identity may burst up to a window's allowance and then sustains `capacity / windowMs`. `scope`
 * keeps the buckets of different limits apart where they share a table or a Redis.
 *
 * The buckets are our own, not rate-limiter-flexible's limiters (memory, Redis, PostgreSQL): those
 * count fixed windows, so a caller refused early in a window waits for the whole window rather than
 * for one token (RATE_LIMITED's `retryAfterSeconds`); a refused take still counts its points (four
 * aliased mutations over an allowance of three would spend it, though none ran); and its PostgreSQL
 * limiter trusts each process's clock and creates its table outside our migrations.
 */
export interface RateRule {
  scope: string;
  capacity: number;
  windowMs: number;
}

/** Where the token buckets live. Every store applies one {@link RateRule}; a refused take takes nothing. */
export interface RateLimitStore {
  take(identity: string, cost: number): RateVerdict | Promise<RateVerdict>;
  close?(): Promise<void>;
}

const retryAfter = (rule: Pick<RateRule, 'capacity' | 'windowMs'>, cost: number, tokens: number): RateVerdict => ({
  allowed: false,
  retryAfterMs: Math.ceil((Math.min(cost, rule.capacity) - tokens) / (rule.capacity / rule.windowMs)),
});

/**
 * The buckets in this process's memory: right for a single process (and for unit tests); with
 * several, each would enforce its own limit, so the server uses a shared store (below). A bucket
 * is forgotten once it would be full again (the same as none), and beyond MAX_BUCKETS the least
 * recently used go.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;
  private readonly perMs: number;

  constructor(
    private readonly rule: Pick<RateRule, 'capacity' | 'windowMs'>,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = rule.capacity / rule.windowMs;
    this.buckets = new LRUCache({ max: MAX_BUCKETS, perf: { now }, ttlResolution: 0 });
  }

  /** Takes `cost` tokens for `identity`; when there are not enough, takes none and says when to retry. */
  take(identity: string, cost: number): RateVerdict {
    const { capacity } = this.rule;
    const now = this.now();
    const previous = this.buckets.get(identity);
    const tokens = previous ? Math.min(capacity, previous.tokens + (now - previous.at) * this.perMs) : capacity;
    const allowed = tokens >= cost;
    const left = allowed ? tokens - cost : tokens;
    this.buckets.set(identity, { tokens: left, at: now }, { ttl: Math.max(1, Math.ceil((capacity - left) / this.perMs)) });
    return allowed ? { allowed: true } : retryAfter(this.rule, cost, tokens);
  }
}

/**
 * The buckets in PostgreSQL (`rate_limit_buckets`, an UNLOGGED table), shared by every server
 * process on the database. One statement per take: the UPSERT refills the row from its age,
 * takes the tokens if there are enough and records whether it did, all under the row's lock, so
 * concurrent takes from any process serialise per identity and none is lost. The database's
 * clock is the only clock, so process clocks may disagree freely.
 */
// The row's tokens refilled for the time since it was last written ($2 capacity, $4 tokens per ms);
// SET expressions all read the row as it was before the update.
const REFILLED = `least($2::float8, b.tokens + extract(epoch FROM now() - b.refilled_at)::float8 * 1000 * $4::float8)`;

export class PostgresRateLimitStore implements RateLimitStore {
  private lastSweep = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly rule: RateRule,
  ) {}

  async take(identity: string, cost: number): Promise<RateVerdict> {
    const { rows } = await this.pool.query<{ tokens: number; allowed: boolean }>({
      name: 'ordersource_rate_limit_take',
      text: `INSERT INTO rate_limit_buckets AS b (identity, tokens, refilled_at, allowed)
             VALUES ($1, CASE WHEN $3::float8 <= $2::float8 THEN $2::float8 - $3::float8 ELSE $2::float8 END, now(), $3::float8 <= $2::float8)
             ON CONFLICT (identity) DO UPDATE SET
               tokens = CASE WHEN ${REFILLED} >= $3::float8 THEN ${REFILLED} - $3::float8 ELSE ${REFILLED} END,
               allowed = ${REFILLED} >= $3::float8,
               refilled_at = now()
             RETURNING b.tokens, b.allowed`,
      values: [`${this.rule.scope}:${identity}`, this.rule.capacity, cost, this.rule.capacity / this.rule.windowMs],
    });
    this.sweep();
    const { tokens, allowed } = rows[0]!;
    return allowed ? { allowed: true } : retryAfter(this.rule, cost, tokens);
  }

  /** A bucket untouched for a whole window is full again, the same as no row: drop those of this scope, once a minute. */
  private sweep(): void {
    if (Date.now() - this.lastSweep < 60_000) return;
    this.lastSweep = Date.now();
    this.pool
      .query(
        `DELETE FROM rate_limit_buckets WHERE starts_with(identity, $1) AND refilled_at < now() - $2::float8 * interval '1 millisecond'`,
        [`${this.rule.scope}:`, this.rule.windowMs],
      )
      .catch(() => {});
  }
}

// KEYS[1]: the bucket (a hash of tokens and ms time); ARGV: capacity, tokens per ms, cost.
// Redis runs a script atomically, and its own TIME is the one clock for every process.
const REDIS_TAKE = `
local capacity, perMs, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if b[1] then tokens = math.min(capacity, tonumber(b[1]) + (now - tonumber(b[2])) * perMs) end
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
return { allowed, tostring(tokens) }`;

/** The buckets in Redis (`REDIS_URL`): one atomic script per take; a bucket expires once full. */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly rule: RateRule,
  ) {}

  async take(identity: string, cost: number): Promise<RateVerdict> {
    const { scope, capacity, windowMs } = this.rule;
    const [allowed, tokens] = (await this.redis.eval(
      REDIS_TAKE,
      1,
      `ordersource:rate-limit:${scope}:${identity}`,
      capacity,
      capacity / windowMs,
      cost,
    )) as [number, string];
    return allowed === 1 ? { allowed: true } : retryAfter(this.rule, cost, Number(tokens));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** A shared store for `rule` (none when its capacity is 0: the limit is off): Redis when REDIS_URL is set, else PostgreSQL. */
export function createRateLimitStore(config: Pick<Config, 'redisUrl'>, pool: pg.Pool, rule: RateRule): RateLimitStore | undefined {
  if (rule.capacity === 0) return undefined;
  if (config.redisUrl)
    return new RedisRateLimitStore(new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }), rule);
  return new PostgresRateLimitStore(pool, rule);
}
