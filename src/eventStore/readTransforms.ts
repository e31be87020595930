import type { RecordedEvent } from './types.js';

/**
 * A feature's step on the read path, after upcasting: turns stored payloads of some event types
 * into what readers get, where that needs more than the payload itself (e.g. opening data sealed
 * under a key kept in another table). Asynchronous and batched: it is given every matching event
 * of one read at once. Features supply these; the event store knows none of them.
 */
export interface EventReadTransform {
  /** The event types it changes; other events pass it untouched. */
  readonly eventTypes: readonly string[];
  /** The given events in their readable shape: same length, same order. */
  apply(events: readonly RecordedEvent[]): Promise<RecordedEvent[]>;
}

/** Runs each transform over the events of its types, keeping the events' order. */
export async function applyReadTransforms(transforms: readonly EventReadTransform[], events: RecordedEvent[]): Promise<RecordedEvent[]> {
  let result = events;
  for (const transform of transforms) {
    const indexes: number[] = [];
    result.forEach((event, i) => {
      if (transform.eventTypes.includes(event.type)) indexes.push(i);
    });
    if (indexes.length === 0) continue;
    const changed = await transform.apply(indexes.map((i) => result[i]!));
    result = [...result];
    indexes.forEach((at, i) => (result[at] = changed[i]!));
  }
  return result;
}
