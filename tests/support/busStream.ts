import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type pg from 'pg';
import { EVENT_BUS_TARGET } from '../../src/eventBus/eventBusFeature.js';

/** One message as a consumer of the stream sees it. */
export interface BusMessage {
  /** The stream's sequence (its order). */
  seq: number;
  subject: string;
  msgId: string | undefined;
  contentType: string | undefined;
  traceparent: string | undefined;
  body: { id: string; type: string; subject: string; sequence: string; data: Record<string, unknown> } & Record<string, unknown>;
}

/** Every message stored in `stream`, in stream order, read with an ordered consumer of its own (none when the stream is absent). */
export async function readBusStream(url: string, stream: string): Promise<BusMessage[]> {
  const connection = await connect({ servers: url });
  try {
    const manager = await jetstreamManager(connection);
    const names: string[] = [];
    for await (const name of manager.streams.names()) names.push(name);
    if (!names.includes(stream)) return [];
    const total = (await manager.streams.info(stream)).state.messages;
    const messages: BusMessage[] = [];
    if (total === 0) return messages;
    const consumer = await jetstream(connection).consumers.get(stream);
    while (messages.length < total) {
      const batch = await consumer.fetch({ max_messages: total - messages.length, expires: 5_000 });
      for await (const m of batch) {
        messages.push({
          seq: m.seq,
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id') || undefined,
          contentType: m.headers?.get('Content-Type') || undefined,
          traceparent: m.headers?.get('traceparent') || undefined,
          body: m.json(),
        });
      }
    }
    return messages;
  } finally {
    await connection.close();
  }
}

/** The message ids that occur more than once (JetStream's duplicate window should have dropped them). */
export function repeatedIds(messages: readonly BusMessage[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const m of messages) {
    if (seen.has(m.body.id)) repeated.add(m.body.id);
    seen.add(m.body.id);
  }
  return [...repeated];
}

/** The subjects (order ids...) whose messages are not in increasing version order in the stream. */
export function outOfOrderSubjects(messages: readonly BusMessage[]): string[] {
  const last = new Map<string, number>();
  const wrong = new Set<string>();
  for (const m of messages) {
    const key = m.body.type.split('.')[1] + ':' + m.body.subject;
    const version = Number(m.body.sequence);
    if ((last.get(key) ?? 0) >= version) wrong.add(key);
    last.set(key, version);
  }
  return [...wrong];
}

/**
 * The ids (`<stream>:<version>`) of the events the event bus target must carry, in log order: those
 * of a published type recorded after the target was created.
 */
export async function expectedBusIds(pool: pg.Pool, eventTypes: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT stream_id || ':' || version AS id FROM events
     WHERE position > (SELECT from_position FROM reaction_targets WHERE id = $1) AND type = ANY($2::text[]) ORDER BY position`,
    [EVENT_BUS_TARGET.id, eventTypes],
  );
  return rows.map((r) => r.id);
}
