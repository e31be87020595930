import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { useArgumentBounds } from './argumentBounds.js';
import { useCsrfPrevention } from './csrfPrevention.js';
import { useExecutionTimeout } from './executionTimeout.js';
import { useMutationRateLimit } from './mutationRateLimit.js';
import type { RateLimitStore } from './rateLimitStores.js';
import { operationLimitPlugins } from './operationLimits.js';
import { useUnexpectedErrorMasking } from './unexpectedErrors.js';

/**
 * The protective plugins, in order: CSRF (HTTP only); operation limits and introspection (at parse
 * and validation); argument bounds, the mutation rate limit and the execution timeout (before
 * executing); the masking of unexpected errors (after). All but CSRF run over graphql-ws too.
 * Bounds come from config (README "Configuration").
 */
export function securityPlugins(
  { config, logger, db, rateLimits }: { config: Config; logger: Logger; db: Pick<Database, 'pool'>; rateLimits?: RateLimitStore },
  maskError: (error: unknown) => Error,
): Plugin[] {
  return [
    useCsrfPrevention(),
    ...operationLimitPlugins(config),
    useArgumentBounds(),
    useMutationRateLimit(config.rateLimitMutationsPerMinute, rateLimits, logger),
    useExecutionTimeout(config.executionTimeoutMs, db.pool),
    useUnexpectedErrorMasking(logger, maskError),
  ];
}
