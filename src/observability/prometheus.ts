import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics` in Prometheus text format: the GraphQL metrics of the Yoga Prometheus plugin
 * (`graphql_envelop_*` per operation and phase: request, parse, validate, context, execute,
 * subscribe, errors; `graphql_yoga_http_duration`) plus the service's own metrics, all from this
 * server's registry. Over graphql-ws the operation metrics are recorded too (same envelop).
 */
export function usePrometheusMetrics(metrics: Metrics, endpoint = '/metrics'): Plugin {
  return usePrometheus({
    registry: metrics.registry,
    endpoint,
    skipIntrospection: true,
    // The full URL (query string included) would be a label value per distinct GET request.
    labels: { url: false },
  });
}
