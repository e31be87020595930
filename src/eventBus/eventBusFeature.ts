import type { FeatureModule } from '../feature.js';
import { ensureConfiguredTarget, parkConfiguredTarget } from '../reactions/configuredTarget.js';
import type { Services } from '../services.js';
import { JetStreamSender } from './jetStreamSender.js';

/** The event bus's one reaction target (fixed: its deliveries and lag carry over restarts). */
export const EVENT_BUS_TARGET = { id: '00000000-0000-4000-8000-00000000b005', kind: 'eventBus' } as const;

/**
 * The event bus: with EVENT_BUS_URL, every integration event is published to a NATS JetStream
 * stream through the reaction mechanism (ordered per stream, retried, never lost). Without it the
 * kind is off: no target, no deliveries, nothing else changes.
 */
export const eventBusFeature: FeatureModule<Services> = {
  name: 'eventBus',
  projections: [],
  liveSources: [],
  reactionTargets: [
    {
      kind: EVENT_BUS_TARGET.kind,
      configured: (config) => config.eventBus.url !== undefined,
      createSender: (services) =>
        new JetStreamSender({ url: services.config.eventBus.url!, stream: services.config.eventBus.stream }, services.logger),
    },
  ],
  startupChecks: [
    {
      name: 'event bus target',
      async run(services) {
        if (services.config.eventBus.url) await ensureConfiguredTarget(services.db.pool, EVENT_BUS_TARGET);
        else await parkConfiguredTarget(services.db.pool, EVENT_BUS_TARGET, 'EVENT_BUS_URL is unset');
      },
    },
  ],
};
