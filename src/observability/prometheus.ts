import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST, Kind } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics` in Prometheus text format: the GraphQL metrics of the Yoga Prometheus plugin
 * (`graphql_envelop_*` per operation and phase: request, parse, validate, context, execute,
 * subscribe, errors; `graphql_yoga_http_duration`) plus the service's own metrics, all from this
 * server's registry. Over graphql-ws the operation metrics are recorded too (same envelop).
 */
export function usePrometheusMetrics(metrics: Metrics, endpoint = '/metrics'): Plugin {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePrometheus({
          registry: metrics.registry,
          endpoint,
          skipIntrospection: true,
          // The full URL (query string included) would be a label value per distinct GET request.
          labels: { url: false },
          // The schema has no deprecated fields and never changes at run time: these two would only
          // walk every document (about a tenth of the plugin's cost per request) to count nothing.
          metrics: { graphql_envelop_deprecated_field: false, graphql_envelop_schema_change: false },
        }),
      );
      addPlugin(useActiveSubscriptions(metrics));
    },
  };
}

/**
 * Counts each subscription from its start until its stream ends, however it ends: completed,
 * left by the client, or failed. (Envelop's onEnd misses the last: a stream whose `next` rejects
 * is not returned by graphql-ws, so the end is counted here, on the rejection too.)
 */
function useActiveSubscriptions(metrics: Metrics): Plugin {
  return {
    onSubscribe({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const first = operation?.selectionSet.selections[0];
      const field = first?.kind === Kind.FIELD ? first.name.value : 'unknown';
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          const ended = metrics.subscriptionStarted(field);
          const failed = (error: unknown) => {
            ended();
            throw error;
          };
          setResult(mapAsyncIterator(result, (value) => value, failed, ended));
        },
      };
    },
  };
}
