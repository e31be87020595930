import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { useCallback, useState } from 'react';
import { describeError } from './ErrorNotice.js';

/** What became of the last command: done, or refused with the server's code and reason in words. */
export interface CommandOutcome {
  done: boolean;
  text: string;
}

/** A mutation's result union as the dashboard selects it: the success type, or a refusal (`...Refusal`). */
interface CommandResult {
  __typename: string;
  code?: string;
  message?: string;
  fieldErrors?: readonly { path: string; message: string }[];
}

/** `INVALID_STATE: cannot ship an order that is SUBMITTED (it must be PAID)`, with each broken field for VALIDATION_FAILED. */
export function describeRefusal(result: CommandResult): string {
  const fields = (result.fieldErrors ?? []).map((field) => `${field.path}: ${field.message}`);
  return [`${result.code ?? result.__typename}: ${result.message ?? 'refused'}`, ...fields].join('; ');
}

/**
 * Runs one command mutation and keeps its outcome for the form that gave it. Expected refusals are
 * results (the union's error members), not exceptions; a transport or GraphQL error is shown the
 * same way, so a form always says what happened.
 */
export function useCommand<TData, TVariables extends OperationVariables>(document: TypedDocumentNode<TData, TVariables>) {
  const [mutate, { loading }] = useMutation(document);
  const [outcome, setOutcome] = useState<CommandOutcome>();
  const run = useCallback(
    async (variables: TVariables, doneText: string): Promise<boolean> => {
      setOutcome(undefined);
      try {
        // Apollo's generic option types do not narrow for a generic TVariables; the document fixes them.
        const { data } = await (mutate as (options: { variables: TVariables }) => Promise<{ data?: TData }>)({ variables });
        // The one root field's result (the answer may also carry the root's own `__typename`).
        const result = Object.values((data ?? {}) as Record<string, unknown>).find(
          (value): value is CommandResult => typeof value === 'object' && value !== null && '__typename' in value,
        );
        const done = result !== undefined && result.__typename.endsWith('Success');
        setOutcome({ done, text: done ? doneText : result ? describeRefusal(result) : 'the server answered nothing' });
        return done;
      } catch (error) {
        setOutcome({ done: false, text: describeError(error as Error) });
        return false;
      }
    },
    [mutate],
  );
  return { run, busy: loading, outcome };
}
