import type { Config } from '../config.js';
import type { CloudEvent } from '../integrationEvents/integrationEvents.js';

/** One message on its way to one target: the integration event of one event of the log. */
export interface ReactionMessage {
  deliveryId: bigint;
  targetId: string;
  /** The event's id: the same on every attempt and redelivery, for the receiver to drop repeats. */
  eventId: string;
  /** Which attempt this is (1 for the first). */
  attempt: number;
  body: CloudEvent;
}

/**
 * What one attempt ended with. `delivered`: done. `failed`: retried on the schedule (a network
 * error, a timeout, an answer that is not a success). `gone`: the target says it wants nothing
 * more (an HTTP 410): it is disabled at once, and the message waits for it to be enabled again.
 */
export type AttemptResult = {
  outcome: 'delivered' | 'failed' | 'gone';
  /** The answer's status code, when there was an answer. */
  statusCode?: number;
  /** Why it failed, in a line. */
  error?: string;
  /** The start of the answer's body (kept with the attempt for whoever investigates). */
  responseBody?: string;
};

/** Sends messages to the targets of one kind (webhook endpoints, a broker, a mail server). */
export interface ReactionSender {
  /** Attempts one message once. Must settle within `attemptTimeoutMs` (it enforces it itself). */
  send(message: ReactionMessage): Promise<AttemptResult>;
  /** The longest one attempt may take: a claim is leased for this long and a little more. */
  readonly attemptTimeoutMs: number;
  /**
   * Streams of one target in flight at once, instead of REACTION_CONCURRENCY (which spares
   * receivers that are someone's web server; a broker built for the load can take more).
   */
  readonly concurrency?: number;
  /** Messages of one stream claimed together and sent as one run (five when absent). */
  readonly runLength?: number;
  /**
   * True when a run's messages may all be sent at once, without waiting for each answer: `send`
   * must put each message on its way in the order of the calls, on one ordered channel whose far
   * end stores a prefix of what was sent when it fails (a broker connection, not HTTP requests).
   * A run's lease is then one attempt timeout, not one per message.
   */
  readonly pipelined?: boolean;
  /**
   * What sends one run's messages to a target, having read what the target needs (its address,
   * its signing secrets) once for the run rather than once per message; absent: `send`.
   */
  forRun?(targetId: string): Promise<(message: ReactionMessage) => Promise<AttemptResult>>;
  close?(): Promise<void>;
}

/**
 * A kind of reaction target, contributed by a feature: its targets are rows of `reaction_targets`
 * with this `kind`, and the sender made for the service sends their messages. `S` is the
 * service's parts (as for a feature's processes).
 */
export interface ReactionTargetKind<S> {
  readonly kind: string;
  /**
   * Whether the settings turn this kind on (a broker or mail server configured); absent: always on.
   * An off kind gets no sender, so nothing is attempted for its targets (a kind whose target a
   * setting creates has no target, and so no deliveries, until the setting is given).
   */
  configured?(config: Config): boolean;
  createSender(services: S): ReactionSender;
}
