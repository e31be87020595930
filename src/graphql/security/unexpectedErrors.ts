import { GraphQLError, type ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { Logger } from '../../logger.js';
import type { GraphQLContext } from '../context.js';

/** The message every client gets for an unexpected failure, in every environment. */
export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * Masks execution and subscription results here, where the request's context is known: each error
 * from a resolver goes through `maskError` (Yoga's, which turns expected errors into coded GraphQL
 * errors), and an unexpected one reaches the client as UNEXPECTED_ERROR_MESSAGE with
 * `code: INTERNAL_SERVER_ERROR` and the `requestId`, which is also in the log line that holds the
 * real error and its stack, so a user can quote it. Yoga's own masking stays behind this for
 * errors outside execution (e.g. while building the context).
 */
export function useUnexpectedErrorMasking(fallbackLogger: Logger, maskError: (error: unknown) => Error): Plugin {
  const mask = ({
    args,
    result,
    setResult,
  }: {
    args: { contextValue: unknown };
    result: ExecutionResult;
    setResult: (result: ExecutionResult) => void;
  }) => {
    if (!result.errors?.some((error) => error.originalError !== undefined)) return;
    const context = args.contextValue as Partial<GraphQLContext>;
    const errors = result.errors.map((error) => maskResolverError(error, context, fallbackLogger, maskError));
    setResult({ ...result, errors } as ExecutionResult);
  };
  return {
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, mask) }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, mask),
      // A subscription whose stream fails once running (e.g. its first read) throws from the stream
      // instead of giving a result: over graphql-ws and SSE alike, that error is masked here too.
      onSubscribeError: ({ error, setError }) => {
        const located =
          error instanceof GraphQLError
            ? error
            : new GraphQLError(UNEXPECTED_ERROR_MESSAGE, { originalError: error instanceof Error ? error : new Error(String(error)) });
        setError(maskResolverError(located, args.contextValue as Partial<GraphQLContext>, fallbackLogger, maskError));
      },
    }),
  };
}

/** One error of a result, masked as above (also used for live pushes sent outside Yoga). */
export function maskResolverError(
  error: GraphQLError,
  context: Partial<GraphQLContext>,
  fallbackLogger: Logger,
  maskError: (error: unknown) => Error,
): GraphQLError {
  if (error.originalError === undefined) return error;
  const masked = maskError(error) as GraphQLError;
  if (masked.extensions?.unexpected !== true) return masked;
  (context.log ?? fallbackLogger).error({ err: error.originalError, path: error.path }, 'unexpected error in a resolver');
  return new GraphQLError(UNEXPECTED_ERROR_MESSAGE, {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: context.requestId },
  });
}
