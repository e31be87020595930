import { randomUUID } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';
import { authenticate } from '../auth/tokens.js';
import { isDatabaseUnavailable, isStorageFull } from '../db/database.js';
import { OperationLabels } from '../observability/operationLabels.js';
import { operatorAccess } from '../observability/operatorAccess.js';
import { useMetricsEndpoint, usePrometheusMetrics } from '../observability/prometheus.js';
import { useReadinessCheck } from '../observability/readiness.js';
import { useOperationSpans } from '../observability/tracing.js';
import { useReadRouting } from './readRouting.js';
import type { GraphQLContext, RequestServices } from './context.js';
import { graphiqlOptions, type GraphiQLExample } from './graphiql.js';
import { PERSISTED_QUERY_INVALID, usePersistedQueries, type PersistedQueryStore, type TrustedDocuments } from './persistedQueries.js';
import { securityPlugins } from './security/index.js';
import type { RateLimitStore } from './security/rateLimitStores.js';
import { useRequestBodyLimit } from './security/requestBodyLimit.js';
import { UNEXPECTED_ERROR_MESSAGE } from './security/unexpectedErrors.js';
import { buildSchema, type SchemaPart } from './schema.js';

/** What the GraphQL server is built from: the parts every request may use, its own stores, the schema's parts. */
export interface GraphQLServerParts extends RequestServices {
  /** The parts the schema is made of (the service's features), with the GraphiQL tabs each offers. */
  features: readonly (SchemaPart & { readonly examples?: readonly GraphiQLExample[] })[];
  /** Where the mutation rate limit's buckets live, shared by every process (absent when off). */
  rateLimits?: RateLimitStore;
  /** Texts registered by automatic persisted queries. */
  persistedQueryStore: PersistedQueryStore;
}

/**
 * Query fields return plain types rather than result unions, so an expected rejection there (an
 * anonymous caller, CONSISTENCY_TIMEOUT, a bad `consistentWith`) becomes a GraphQL error that keeps
 * its `code` in `extensions`; everything else is masked as usual.
 */
function exposeDomainErrors(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError && error instanceof GraphQLError) {
    const { code, message: reason, name: _name, stack: _stack, ...details } = original as DomainError & Record<string, unknown>;
    return new GraphQLError(reason, { nodes: error.nodes, path: error.path, extensions: { code, ...details } });
  }
  // Nor is a full disk: nothing was written, and the same command succeeds once space is freed.
  if (isStorageFull(original) && error instanceof GraphQLError) {
    return new GraphQLError('the database is out of storage space; nothing was written: try again later', {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'STORAGE_FULL' },
    });
  }
  // A database outage is not a bug: say so with a code clients can retry on (with the same commandId).
  if (isDatabaseUnavailable(original) && error instanceof GraphQLError) {
    return new GraphQLError('the database is unavailable; try again shortly', {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'DATABASE_UNAVAILABLE' },
    });
  }
  return maskError(error, message, isDev);
}

/** The longest `x-request-id` kept (the rest is cut off): it is the caller's text in our logs. */
export const MAX_REQUEST_ID_LENGTH = 64;

const idsOfRequests = new WeakMap<Request, { requestId: string; correlationId: string; given: boolean }>();

/**
 * A request's ids, the same whoever asks first (a refusal before the context exists, or the
 * context). Over graphql-ws there is no Fetch request: each operation gets its own.
 */
function requestIds(request: Request | undefined): { requestId: string; correlationId: string; given: boolean } {
  const known = request && idsOfRequests.get(request);
  if (known) return known;
  const given = request?.headers.get('x-request-id')?.slice(0, MAX_REQUEST_ID_LENGTH);
  const correlationId = randomUUID();
  const ids = { requestId: given || correlationId, correlationId, given: Boolean(given) };
  if (request) idsOfRequests.set(request, ids);
  return ids;
}

/** The masking Yoga applies to every result, for results sent outside Yoga (live delivery). */
export const yogaMaskError = (error: unknown): Error => exposeDomainErrors(error, UNEXPECTED_ERROR_MESSAGE, false);

/** What a transport adds to the context: nothing over HTTP; the socket's details over graphql-ws. */
export type ServerContext = { connectionParams?: Readonly<Record<string, unknown>> };

/**
 * The GraphQL server: `/graphql` over HTTP (GraphiQL in development), `GET /health`. Unexpected
 * errors are masked for clients and logged here with the request id; expected errors are results.
 */
export function createGraphQLServer(
  services: GraphQLServerParts,
  trustedDocuments: TrustedDocuments = new Map(),
): YogaServerInstance<ServerContext, GraphQLContext> {
  const operatorsOnly = operatorAccess(services.config);
  return createYoga<ServerContext, GraphQLContext>({
    schema: buildSchema(services.features),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: graphiqlOptions(
      services.config,
      services.features.flatMap((feature) => feature.examples ?? []),
    ),
    // GraphiQL's script, styles and editor workers inlined in the page rather than fetched from a
    // CDN: the playground then works on a machine or network without internet access.
    renderGraphiQL,
    logging: false,
    maskedErrors: {
      isDev: false,
      maskError: (error, message, isDev) => {
        // `/ready` reports the shortage until a write succeeds again.
        if (isStorageFull(error instanceof GraphQLError ? error.originalError : error)) services.db.health.noteStorageFull();
        return exposeDomainErrors(error, message, isDev);
      },
    },
    // 413 beyond MAX_BODY_BYTES comes from useRequestBodyLimit (a cheaper equivalent), below.
    maxRequestBodySize: false,
    context: async ({ request, connectionParams }): Promise<GraphQLContext> => {
      const { requestId: id, correlationId, given } = requestIds(request);
      const authorization = request ? request.headers.get('authorization') : connectionParams?.authorization;
      const auth = await authenticate(authorization ?? undefined, services.config.jwt);
      // A caller's id is quoted back and logged beside ours, but only ours enters the event log.
      const log = services.logger.child(given ? { requestId: id, correlationId } : { requestId: id });
      return { services, requestId: id, correlationId, log, auth };
    },
    plugins: [
      // First: every other plugin sees the text the request runs, whether sent or named by hash.
      usePersistedQueries({
        store: services.persistedQueryStore,
        trustedDocuments,
        trustedDocumentsOnly: services.config.trustedDocuments.only,
        authenticate: (request) => authenticate(request.headers.get('authorization') ?? undefined, services.config.jwt),
        refused: (request, error) => {
          if (!(error instanceof GraphQLError) || error.extensions.code !== PERSISTED_QUERY_INVALID) return error;
          const { requestId } = requestIds(request);
          services.logger.warn({ requestId, reason: error.message }, 'refused a persisted-query request');
          return new GraphQLError(error.message, { extensions: { ...error.extensions, requestId } });
        },
      }),
      usePrometheusMetrics(services.metrics, new OperationLabels(trustedDocuments.values())),
      useMetricsEndpoint(services.metrics, operatorsOnly, services.logger),
      useOperationSpans(),
      useReadinessCheck(services, operatorsOnly),
      useReadRouting(),
      // Limits, CSRF, rate limit, timeouts, and masking with the request id (src/graphql/security/).
      ...securityPlugins(services, yogaMaskError),
      // From Content-Length, or while reading a chunked body (after the request parsers, so last).
      useRequestBodyLimit(services.config.maxBodyBytes),
    ],
  });
}
