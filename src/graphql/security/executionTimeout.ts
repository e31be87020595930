import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type pg from 'pg';
import { cancelDatabaseWork, DatabaseWork, runWithDatabaseWork } from '../../db/gatedPool.js';

/**
 * Answers a query or mutation that is still executing after `timeoutMs` with EXECUTION_TIMEOUT, so
 * no client waits forever on a stuck dependency (subscriptions are long-lived by design and exempt).
 * The database work the execution started is cancelled with it (its statements and connections;
 * see cancelDatabaseWork). An append already sent may still commit (appends run outside any one
 * execution's work, being shared by a group commit), which is why the message says to retry with
 * the same `commandId`: the repeat then answers its outcome.
 * Must exceed CONSISTENCY_TIMEOUT_MS, so `consistentWith` waits end with their own, clearer error.
 */
export function useExecutionTimeout(timeoutMs: number, pool?: pg.Pool): Plugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const work = new DatabaseWork();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(() => {
            if (pool) void cancelDatabaseWork(pool, work);
            resolve({
              errors: [
                new GraphQLError(
                  `the operation did not finish within ${timeoutMs} ms; a mutation may still complete: retry it with the same commandId`,
                  {
                    extensions: { code: 'EXECUTION_TIMEOUT', timeoutMs },
                  },
                ),
              ],
            });
          }, timeoutMs);
        });
        const executed = runWithDatabaseWork(work, () => Promise.resolve(executeFn(args)));
        return Promise.race([executed, timedOut]).finally(() => clearTimeout(timer)) as ReturnType<typeof executeFn>;
      });
    },
  };
}
