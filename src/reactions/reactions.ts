import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { ProgressSignal } from '../projections/consistency.js';
import { DueWorkLoop } from '../scheduler/dueWorkLoop.js';
import { DeliveryLog } from './deliveryLog.js';
import { DeliveryStore } from './deliveryStore.js';
import { ReactionDispatcher, type DispatchOptions } from './dispatcher.js';
import { FAN_OUT_PROJECTION } from './fanOutProjection.js';
import { ReactionMetrics } from './reactionMetrics.js';
import type { ReactionSender } from './reaction.js';

export interface ReactionsParts {
  db: Database;
  /** Where it hears that the fan-out projection committed a batch (in any process). */
  progress: ProgressSignal;
  logger: Logger;
  registry: Registry;
  options: DispatchOptions;
  /** The sender of each target kind the service has. */
  senders: ReadonlyMap<string, ReactionSender>;
}

/**
 * The reactions of one service: the delivery store (for the features' admin API) and the
 * scheduler that attempts due messages. Started in every process that runs the fan-out projection
 * (fanOutProjection.ts), which writes the deliveries: processes share the work through their claims.
 * A deployment can so keep deliveries (their HTTP, signing and bookkeeping) off the command servers'
 * cores with PROJECTIONS: command servers list the others, one process lists `reactions`.
 */
export class Reactions {
  readonly name = 'reactions';
  readonly followsProjection = FAN_OUT_PROJECTION;
  readonly store: DeliveryStore;
  /** The deliveries of every target with their attempts, for the admin API. */
  readonly log: DeliveryLog;
  private readonly dispatcher: ReactionDispatcher;
  private readonly loop: DueWorkLoop;
  private unfollow?: () => void;

  constructor(private readonly parts: ReactionsParts) {
    this.store = new DeliveryStore(parts.db.pool);
    this.log = new DeliveryLog(parts.db.pool);
    const metrics = new ReactionMetrics(parts.registry, () => this.store.lagByTarget(), parts.logger);
    this.dispatcher = new ReactionDispatcher(this.store, parts.senders, parts.options, metrics, parts.logger, () => this.poke());
    this.loop = new DueWorkLoop('reactions', this.dispatcher, parts.logger);
  }

  start(): void {
    // New deliveries are written by the fan-out projection, in whichever process runs it.
    this.unfollow = this.parts.progress.onProjectionProgress((name) => {
      if (name === FAN_OUT_PROJECTION) this.loop.wakeUp();
    });
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.unfollow?.();
    await this.loop.stop();
    this.dispatcher.stop();
    // Senders abort what they have in flight, so a receiver that never answers does not hold up
    // the shutdown; those attempts are recorded as failed and retried.
    await Promise.all([...this.parts.senders.values()].map((sender) => sender.close?.()));
    await this.dispatcher.drain();
  }

  /** Whether this service sends to targets of `kind` (a kind whose setting is unset has no sender). */
  sends(kind: string): boolean {
    return this.parts.senders.has(kind);
  }

  /** Looks for due messages now (after a redelivery, an enabled target, a settled attempt). */
  poke(): void {
    this.loop.wakeUp();
  }
}
