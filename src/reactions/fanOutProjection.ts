import type { IntegrationEvents } from '../integrationEvents/integrationEvents.js';
import type { Projection } from '../projections/projection.js';

/** The name of the projection that turns the log into deliveries (its checkpoint, its lag). */
export const FAN_OUT_PROJECTION = 'reactions';

/**
 * Reads the log like any projection (same runner: checkpoint, one process at a time, nothing
 * skipped when events commit late) and writes one delivery per published event and interested
 * target, in the batch's transaction, so a delivery exists exactly when the checkpoint has passed
 * its event. A target receives events after the position the log had when it was created.
 *
 * The message stored is the integration event (without its `source`, set when sent), made here
 * after the upcasters: it holds no personal data, so redelivering an old message later sends nothing that was since forgotten.
 * `ON CONFLICT DO NOTHING` makes a replayed batch harmless.
 */
export function fanOutProjection(events: IntegrationEvents, kinds: readonly string[]): Projection {
  return {
    name: FAN_OUT_PROJECTION,
    // Never raise it: a rebuild would replay the log into deliveries (harmless, but slow), and its
    // deliveries are no read model to rebuild beside the serving one.
    version: 1,
    eventTypes: events.eventTypes,
    tables: [],
    async apply(tx, batch) {
      const messages = batch.flatMap((event) => {
        const message = events.toMessage(event);
        return message ? [{ event, message }] : [];
      });
      if (messages.length === 0) return;
      await tx.query({
        name: 'reactions_fan_out',
        text: `INSERT INTO reaction_deliveries (target_id, event_id, position, stream_id, message_type, subject, message, trace)
               SELECT t.id, m.event_id, m.position, m.stream_id, m.type, m.subject, m.message, m.trace
               FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $8::jsonb[])
                 AS m(event_id, position, stream_id, type, subject, message, trace)
               JOIN reaction_targets t ON t.kind = ANY($7::text[]) AND t.from_position < m.position
                 AND (coalesce(cardinality(t.event_types), 0) = 0 OR m.type = ANY(t.event_types))
               ORDER BY m.position, t.id
               ON CONFLICT (target_id, event_id) DO NOTHING`,
        values: [
          messages.map((m) => m.message.id),
          messages.map((m) => m.event.position.toString()),
          messages.map((m) => m.event.streamId),
          messages.map((m) => m.message.type),
          messages.map((m) => m.message.subject),
          messages.map((m) => JSON.stringify(m.message)),
          kinds,
          messages.map((m) => (m.event.metadata.trace ? JSON.stringify(m.event.metadata.trace) : null)),
        ],
      });
    },
  };
}
