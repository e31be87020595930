import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Answers a query or mutation that is still executing after `timeoutMs` with EXECUTION_TIMEOUT, so
 * no client waits forever on a stuck dependency (subscriptions are long-lived by design and exempt).
 * The work itself is not interrupted: a command that was already appending may still commit, which
 * is why the message says to retry with the same `commandId` (the repeat then answers its outcome).
 * Must exceed CONSISTENCY_TIMEOUT_MS, so `consistentWith` waits end with their own, clearer error.
 */
export function useExecutionTimeout(timeoutMs: number): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({
                errors: [
                  new GraphQLError(`the operation did not finish within ${timeoutMs} ms; a mutation may still complete: retry it with the same commandId`, {
                    extensions: { code: 'EXECUTION_TIMEOUT', timeoutMs },
                  }),
                ],
              }),
            timeoutMs,
          );
        });
        return Promise.race([Promise.resolve(executeFn(args)), timedOut]).finally(() => clearTimeout(timer)) as ReturnType<typeof executeFn>;
      });
    },
  };
}
