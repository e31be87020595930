import { createCounter, createHistogram, createSummary, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';
import type { OperationLabels } from './operationLabels.js';
import type { OperatorAccess } from './operatorAccess.js';

/** What the plugin hands a label function: the parsed document, and the error phase for errors. */
type LabelParams = { document?: DocumentNode; operationType?: string; errorPhase?: string };
type OperationContext = { params?: { operationName?: string } } | undefined;

/**
 * The GraphQL metrics of the Yoga Prometheus plugin (`graphql_envelop_*` per operation and phase:
 * request, parse, validate, context, execute, subscribe, errors; `graphql_yoga_http_duration`),
 * recorded in this server's registry, over HTTP and graphql-ws alike (same envelop). Every label
 * value comes from a bounded set: the operation name through {@link OperationLabels}, the type,
 * phase, method and status from the protocol. The plugin's own labels would take the request's
 * operation name as sent, the full URL, and an error's path (alias names): all the client's text.
 * `/metrics` itself is served by {@link useMetricsEndpoint}.
 */
export function usePrometheusMetrics(metrics: Metrics, labels: OperationLabels): Plugin {
  const registry = metrics.registry;
  const operation = (params: LabelParams, context: OperationContext) => ({
    operationName: labels.of(params.document, context?.params?.operationName),
    operationType: params.operationType ?? 'unknown',
  });
  const labelNames = ['operationName', 'operationType'];
  const histogram = <P extends string>(name: string, help: string, phases: [P, ...P[]]) =>
    createHistogram({ registry, histogram: { name, help, labelNames }, fillLabelsFn: operation, phases });
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        usePrometheus({
          registry,
          endpoint: false,
          skipIntrospection: true,
          metrics: {
            // The schema has no deprecated fields and never changes at run time: these two would only
            // walk every document (about a tenth of the plugin's cost per request) to count nothing.
            graphql_envelop_deprecated_field: false,
            graphql_envelop_schema_change: false,
            graphql_envelop_phase_parse: histogram('graphql_envelop_phase_parse', 'Time spent on running GraphQL "parse" function', [
              'parse',
            ]),
            graphql_envelop_phase_validate: histogram(
              'graphql_envelop_phase_validate',
              'Time spent on running GraphQL "validate" function',
              ['validate'],
            ),
            graphql_envelop_phase_context: histogram('graphql_envelop_phase_context', 'Time spent on building the GraphQL context', [
              'context',
            ]),
            graphql_envelop_phase_execute: histogram(
              'graphql_envelop_phase_execute',
              'Time spent on running the GraphQL "execute" function',
              ['execute'],
            ),
            graphql_envelop_phase_subscribe: histogram(
              'graphql_envelop_phase_subscribe',
              'Time spent on running the GraphQL "subscribe" function',
              ['subscribe'],
            ),
            graphql_envelop_request_duration: histogram(
              'graphql_envelop_request_duration',
              'Time spent on running the GraphQL operation from parse to execute',
              ['execute', 'subscribe'],
            ),
            graphql_envelop_request_time_summary: createSummary({
              registry,
              summary: {
                name: 'graphql_envelop_request_time_summary',
                help: 'Summary to measure the time to complete GraphQL operations',
                labelNames,
              },
              fillLabelsFn: operation,
              phases: ['execute', 'subscribe'],
            }),
            graphql_envelop_request: createCounter({
              registry,
              counter: {
                name: 'graphql_envelop_request',
                help: 'Counts the amount of GraphQL requests executed through Envelop',
                labelNames,
              },
              fillLabelsFn: operation,
              phases: ['execute', 'subscribe'],
            }),
            graphql_envelop_error_result: createCounter({
              registry,
              counter: {
                name: 'graphql_envelop_error_result',
                help: 'Counts the amount of errors reported from all phases',
                labelNames: [...labelNames, 'phase'],
              },
              fillLabelsFn: (params: LabelParams, context: OperationContext) => ({
                ...operation(params, context),
                phase: params.errorPhase ?? 'unknown',
              }),
              phases: ['parse', 'validate', 'context', 'execute', 'subscribe'],
            }),
            graphql_yoga_http_duration: createHistogram({
              registry,
              histogram: {
                name: 'graphql_yoga_http_duration',
                help: 'Time spent on HTTP connection',
                labelNames: [...labelNames, 'method', 'statusCode'],
              },
              fillLabelsFn: (params: LabelParams & { request: Request; response: Response }) => ({
                ...operation(params, undefined),
                method: params.request.method,
                statusCode: params.response.status,
              }),
              phases: ['request'],
            }),
          },
        }),
      );
      addPlugin(useActiveSubscriptions(metrics));
    },
  };
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/**
 * `GET /metrics` in Prometheus text format, for requests `access` grants: 401 for the others when
 * a token would let them in, 404 when none would. A failed collection answers 500 with a line of
 * text and is logged: never the error itself, whose stack names the server's files.
 */
export function useMetricsEndpoint(
  metrics: Metrics,
  access: (request: Request) => OperatorAccess,
  logger: Logger,
  endpoint = '/metrics',
): Plugin {
  return {
    async onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      const granted = access(request);
      if (granted === 'not-served') return endResponse(new fetchAPI.Response('not found', { status: 404, headers: TEXT }));
      if (granted === 'refused') {
        const headers = { ...TEXT, 'www-authenticate': 'Bearer' };
        return endResponse(new fetchAPI.Response('send Authorization: Bearer <METRICS_TOKEN>', { status: 401, headers }));
      }
      try {
        const text = await metrics.registry.metrics();
        endResponse(
          new fetchAPI.Response(text, { headers: { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' } }),
        );
      } catch (err) {
        logger.error({ err }, 'metrics: could not collect the metrics');
        endResponse(new fetchAPI.Response('the metrics could not be collected; see the server log', { status: 500, headers: TEXT }));
      }
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
