import type { RecordedEvent } from '../eventStore/types.js';

/**
 * An integration event: the public, versioned face of one of our events, as a CloudEvents 1.0
 * document in structured JSON. Internal event shapes may change (upcasters bring old ones up to
 * date); this one changes only with a new `type` version, so receivers can rely on it.
 */
export interface CloudEvent {
  specversion: '1.0';
  /** The event's id (`<stream id>:<version>`): the same on every delivery, so receivers can drop repeats. */
  id: string;
  source: string;
  type: string;
  /** The order id, sku or customer id. */
  subject: string;
  /** When the event was recorded (RFC 3339). */
  time: string;
  datacontenttype: 'application/json';
  /** The event's version in its stream (CloudEvents' sequence extension, a string). */
  sequence: string;
  /** The event's position in the log, usable as `consistentWith`. */
  ordersourceposition: string;
  data: Record<string, unknown>;
}

/**
 * An integration event as it is stored for delivery: everything but `source`, which is
 * configuration (EVENTS_SOURCE) and is set when it is sent (see cloudEventOf).
 */
export type IntegrationMessage = Omit<CloudEvent, 'source'>;

/** The CloudEvent of a stored message, with `source` in its place after `id`. */
export function cloudEventOf(message: IntegrationMessage, source: string): CloudEvent {
  const { specversion, id, ...rest } = message;
  return { specversion, id, source, ...rest };
}

/** How one internal event type becomes an integration event. */
export interface IntegrationEventMapping {
  /** The internal event type (in its current shape: the mapping runs after the upcasters). */
  readonly eventType: string;
  /** The integration event type, e.g. `ordersource.order.paid.v1`. */
  readonly type: string;
  subject(event: RecordedEvent): string;
  /** Ids, statuses, amounts, lines, carrier and tracking: never a name or an email. */
  data(event: RecordedEvent): Record<string, unknown>;
}

/** One entry per event type of a stream: its integration event, or null when it has none. */
export type IntegrationEventTable<E extends { type: string; data: unknown }> = {
  [K in E['type']]: { type: string; data: (data: Extract<E, { type: K }>['data'], id: string) => Record<string, unknown> } | null;
};

/**
 * A feature's mappings from a table that names every event type of its stream (so a new event
 * type does not compile until someone decides whether it is published). `idOf` gives the
 * aggregate id of a stream: the subject, and passed to each `data`.
 */
export function integrationEventsOf<E extends { type: string; data: unknown }>(
  table: IntegrationEventTable<E>,
  idOf: (streamId: string) => string,
): IntegrationEventMapping[] {
  return Object.entries(table).flatMap(([eventType, entry]) => {
    if (!entry) return [];
    const { type, data } = entry as { type: string; data: (data: unknown, id: string) => Record<string, unknown> };
    return [
      { eventType, type, subject: (e: RecordedEvent) => idOf(e.streamId), data: (e: RecordedEvent) => data(e.data, idOf(e.streamId)) },
    ];
  });
}

/** The stable id of an event, which every message made from it carries. */
export const eventIdOf = (event: Pick<RecordedEvent, 'streamId' | 'version'>): string => `${event.streamId}:${event.version}`;

/** Every feature's mappings: turns events into integration events. */
export class IntegrationEvents {
  private readonly byEventType: ReadonlyMap<string, IntegrationEventMapping>;

  constructor(mappings: readonly IntegrationEventMapping[]) {
    const byEventType = new Map<string, IntegrationEventMapping>();
    for (const mapping of mappings) {
      if (byEventType.has(mapping.eventType)) throw new Error(`two integration event mappings for ${mapping.eventType}`);
      byEventType.set(mapping.eventType, mapping);
    }
    this.byEventType = byEventType;
  }

  /** The internal event types that are published. */
  get eventTypes(): string[] {
    return [...this.byEventType.keys()];
  }

  /** Every integration event type, each once, in the features' order. */
  get types(): string[] {
    return [...new Set([...this.byEventType.values()].map((m) => m.type))];
  }

  /** The event as an integration event (but its `source`); undefined when its type is not published. */
  toMessage(event: RecordedEvent): IntegrationMessage | undefined {
    const mapping = this.byEventType.get(event.type);
    if (!mapping) return undefined;
    return {
      specversion: '1.0',
      id: eventIdOf(event),
      type: mapping.type,
      subject: mapping.subject(event),
      time: event.recordedAt.toISOString(),
      datacontenttype: 'application/json',
      sequence: String(event.version),
      ordersourceposition: event.position.toString(),
      data: mapping.data(event),
    };
  }

  /** The event as the CloudEvent receivers get; undefined when its type is not published. */
  toCloudEvent(event: RecordedEvent, source: string): CloudEvent | undefined {
    const message = this.toMessage(event);
    return message && cloudEventOf(message, source);
  }
}
