import type { Plugin } from 'graphql-yoga';
import type { Services } from '../../services.js';
import { useArgumentBounds } from './argumentBounds.js';
import { useCsrfPrevention } from './csrfPrevention.js';
import { useExecutionTimeout } from './executionTimeout.js';
import { useMutationRateLimit } from './mutationRateLimit.js';
import { operationLimitPlugins } from './operationLimits.js';
import { useUnexpectedErrorMasking } from './unexpectedErrors.js';

/**
 * The protective plugins, in order: CSRF (HTTP only); operation limits and introspection (at parse
 * and validation); argument bounds, the mutation rate limit and the execution timeout (before
 * executing); the masking of unexpected errors (after). All but CSRF run over graphql-ws too.
 * Bounds come from config (README "Configuration").
 */
export function securityPlugins(
  { config, logger, db, rateLimits }: Pick<Services, 'config' | 'logger' | 'db' | 'rateLimits'>,
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
