import path from 'node:path';
import { z } from 'zod';
import { trueOrFalse, type SettingValues } from './settingTypes.js';

/** What one request may be: its size, its time, its GraphQL document, and which documents are accepted. */
export const requestLimitSettings = {
  // Protective limits: generous enough that an honest client never meets them.
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1024 * 1024)
    .default(100 * 1024)
    .describe(
      'largest request body (413 `REQUEST_ENTITY_TOO_LARGE`, also for chunked bodies, with `Connection: close`) and WebSocket message (closed with 1009)',
    ),
  REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('time a client has to send its whole request (then 408)'),
  HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(10_000)
    .describe('time a client has to send its headers (then 408); at most `REQUEST_TIMEOUT_MS`'),
  EXECUTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .describe('a query or mutation still running after this answers `EXECUTION_TIMEOUT` (subscriptions are exempt)'),
  GRAPHQL_MAX_DEPTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(12)
    .describe('selection depth (fragments do not count as a level): `QUERY_TOO_DEEP`'),
  GRAPHQL_MAX_COST: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe(
      "the estimated cost (`src/graphql/security/operationCost.ts`: GraphQL Armor's weights, each connection and `Order.history` multiplied by its `first`/`last`, when absent by 20 (`Order.history`: by 100, the entries it returns unasked) and by 100 when given by a variable without a default; `orderAt` adds 1,000 as it folds events; a full `orders(first: 100)` page with items and `history(first: 10)` fits, the same page with each order's first 100 history entries does not): `QUERY_TOO_COSTLY`",
    ),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(10_000).default(30).describe('aliases per operation: `TOO_MANY_ALIASES`'),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).default(5_000).describe('lexical tokens per document: `TOO_MANY_TOKENS`'),
  GRAPHQL_MAX_DIRECTIVES: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(50)
    .describe('directives per operation: `TOO_MANY_DIRECTIVES`'),
  APQ_MAX_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1_000)
    .describe('automatic persisted queries: texts each process keeps (least recently used dropped first)'),
  APQ_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024 * 1024)
    .default(5 * 1024 * 1024)
    .describe(
      'automatic persisted queries: bytes of text each process keeps (least recently used dropped first; a text larger than this is not kept). Only texts that parsed and passed validation are kept',
    ),
  APQ_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(86_400)
    .describe('with `REDIS_URL`: the texts live in Redis, shared by every process, for this long after their last registration'),
  TRUSTED_DOCUMENTS: trueOrFalse
    .default('false')
    .describe(
      '`true`: callers that are not staff may run only operations from the manifests, by hash (`TRUSTED_DOCUMENT_REQUIRED` otherwise)',
    ),
  TRUSTED_DOCUMENTS_MANIFESTS: z
    .string()
    .optional()
    .describe("comma-separated paths of more manifests (a frontend team's), added to the dashboard's"),
};

/** The part of `Config` these settings make. */
export function requestLimitConfig(v: SettingValues<typeof requestLimitSettings>) {
  return {
    maxBodyBytes: v.MAX_BODY_BYTES,
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    // Node requires headersTimeout <= requestTimeout.
    headersTimeoutMs: Math.min(v.HEADERS_TIMEOUT_MS, v.REQUEST_TIMEOUT_MS),
    executionTimeoutMs: v.EXECUTION_TIMEOUT_MS,
    graphqlLimits: {
      maxDepth: v.GRAPHQL_MAX_DEPTH,
      maxCost: v.GRAPHQL_MAX_COST,
      maxAliases: v.GRAPHQL_MAX_ALIASES,
      maxTokens: v.GRAPHQL_MAX_TOKENS,
      maxDirectives: v.GRAPHQL_MAX_DIRECTIVES,
    },
    apq: { maxEntries: v.APQ_MAX_ENTRIES, maxBytes: v.APQ_MAX_BYTES, ttlSeconds: v.APQ_TTL_SECONDS },
    trustedDocuments: {
      only: v.TRUSTED_DOCUMENTS === 'true',
      extraManifests: (v.TRUSTED_DOCUMENTS_MANIFESTS ?? '')
        .split(',')
        .map((file) => file.trim())
        .filter(Boolean)
        .map((file) => path.resolve(file)),
    },
  };
}
