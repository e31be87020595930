import type pg from 'pg';
import { readTraceCarriers } from '../eventStore/read.js';
import type { Logger } from '../logger.js';
import { recordSpan } from '../observability/tracing.js';
import type { LiveSource } from './liveSource.js';

/** The most events a live push span links to (the SDK's default limit on links). */
const MAX_TRACED_EVENTS = 128;

/** One live push as tracing sees it: what was pushed, and the subscription fields it reached. */
export interface LivePush {
  source: LiveSource;
  cursor: bigint;
  position: bigint;
  /** The positions of the changes someone heard. */
  pushed: bigint[];
  /** The subscription field of each subscriber reached. */
  fields: Iterable<string | undefined>;
  startTime: number;
}

/**
 * Records a push as a `live.push` span in the trace of the mutation whose events it carries
 * (linked to each of several): which subscription fields got it, how many subscribers, which
 * positions. The events' trace contexts are read after the changes went out, so tracing never
 * delays a push.
 */
export function recordPushSpan(pool: pg.Pool, logger: Logger, { source, cursor, position, pushed, fields, startTime }: LivePush): void {
  const endTime = Date.now();
  const byField = new Map<string, number>();
  let subscribers = 0;
  for (const field of fields) {
    subscribers++;
    byField.set(field ?? 'unknown', (byField.get(field ?? 'unknown') ?? 0) + 1);
  }
  const attributes: Record<string, string | number | string[]> = {
    'ordersource.projection': source.projection,
    'ordersource.live.kind': source.kind,
    'ordersource.position.after': cursor.toString(),
    'ordersource.position': position.toString(),
    'ordersource.live.positions': pushed.slice(0, MAX_TRACED_EVENTS).map(String),
    'ordersource.live.changes': pushed.length,
    'ordersource.live.subscribers': subscribers,
  };
  attributes['graphql.subscription.fields'] = [...byField.keys()];
  for (const [field, count] of byField) attributes[`ordersource.live.subscribers.${field}`] = count;
  void readTraceCarriers(pool, pushed.slice(0, MAX_TRACED_EVENTS)).then(
    (carriers) => recordSpan('live.push', attributes, carriers, startTime, endTime),
    (err: unknown) => logger.debug({ err }, 'live push span: could not read the trace context of its events'),
  );
}
