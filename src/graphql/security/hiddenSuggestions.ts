import { GraphQLError, type ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

/**
 * graphql-js appends every suggestion to the end of its message, as " Did you mean …?" (a field,
 * argument, type, enum value or input field name), so cutting from there drops the suggestion and
 * nothing else. Greedy to the end: a client's own text earlier in the message cannot shield it.
 */
const SUGGESTION = /\s*Did you mean [^]*\?$/;

function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/**
 * With introspection off, "Did you mean …?" would give the schema away name by name. GraphQL
 * Armor's `blockFieldSuggestion` only masks field suggestions from validation; this removes every
 * suggestion, from validation and from variable coercion, which reports bad enum values and
 * unknown input fields while executing (graphql-js's `hideSuggestions` does not reach the
 * coercion that Yoga's executor runs).
 */
export function useHiddenSuggestions(): Plugin {
  const strip = ({ result, setResult }: { result: ExecutionResult; setResult: (result: ExecutionResult) => void }) => {
    if (result.errors?.some((error) => SUGGESTION.test(error.message)))
      setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
  };
  return {
    onValidate:
      () =>
      ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestion));
      },
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, strip) }),
    onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, strip) }),
  };
}
