import { randomUUID } from 'node:crypto';
import { createYoga, useErrorHandler, type YogaServerInstance } from 'graphql-yoga';
import { authenticate } from '../auth/tokens.js';
import type { Services } from '../services.js';
import type { GraphQLContext } from './context.js';
import { schema } from './schema.js';

/** What a transport adds to the context: nothing over HTTP; the socket's details over graphql-ws. */
export type ServerContext = { connectionParams?: Readonly<Record<string, unknown>> };

/**
 * The GraphQL server: `/graphql` over HTTP (GraphiQL in development), `GET /health`. Unexpected
 * errors are masked for clients and logged here with the request id; expected errors are results.
 */
export function createGraphQLServer(services: Services): YogaServerInstance<ServerContext, GraphQLContext> {
  return createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: services.config.env === 'development',
    logging: false,
    maskedErrors: { isDev: false },
    context: async ({ request, connectionParams }): Promise<GraphQLContext> => {
      // Over graphql-ws there is no Fetch request; each operation gets its own id.
      const id = request?.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
      const authorization = request ? request.headers.get('authorization') : connectionParams?.authorization;
      const auth = await authenticate(authorization ?? undefined, services.config.jwt);
      return { ...services, requestId: id, log: services.logger.child({ requestId: id }), auth };
    },
    plugins: [
      useErrorHandler(({ errors, context }) => {
        const ctx = context as Partial<GraphQLContext>;
        const log = ctx.log ?? services.logger;
        for (const error of errors) {
          const original = (error as { originalError?: Error }).originalError;
          if (original && !('extensions' in original)) log.error({ err: original, path: (error as { path?: unknown }).path }, 'unexpected error in a resolver');
        }
      }),
    ],
  });
}
