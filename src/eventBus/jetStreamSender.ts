import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger.js';
import { withDeadline } from '../observability/projectionProgress.js';
import { traceCarrier } from '../observability/tracing.js';
import type { AttemptResult, ReactionMessage, ReactionSender } from '../reactions/reaction.js';
import { BUS_SUBJECT_PREFIX, busSubjectOf } from './busSubjects.js';

/** An attempt (connecting if need be, then the publish and its acknowledgement) fails after this long and is retried. */
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface JetStreamTarget {
  url: string;
  stream: string;
}

interface Bus {
  connection: NatsConnection;
  js: JetStreamClient;
}

/**
 * Publishes integration events to a JetStream stream. A message counts as delivered only once
 * JetStream has acknowledged it (stored it); `Nats-Msg-Id` is the event's id, so a repeat (an
 * attempt whose acknowledgement was lost, a process killed before it recorded the delivery) falls
 * in the stream's duplicate window and is dropped there.
 *
 * One connection per process, made on the first attempt: a broker that is down fails attempts
 * (retried on the reaction schedule) and never the server's start. Once connected, the client
 * reconnects by itself; an attempt made meanwhile times out and is retried.
 */
export class JetStreamSender implements ReactionSender {
  readonly attemptTimeoutMs = ATTEMPT_TIMEOUT_MS;
  private bus?: Promise<Bus>;
  private closed = false;

  constructor(
    private readonly target: JetStreamTarget,
    private readonly logger: Logger,
  ) {}

  async send(message: ReactionMessage): Promise<AttemptResult> {
    try {
      // One deadline for connecting and publishing: the attempt must end within its lease.
      return await withDeadline(this.publish(message), ATTEMPT_TIMEOUT_MS, 'the event bus');
    } catch (err) {
      return { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async publish(message: ReactionMessage): Promise<AttemptResult> {
    const { js } = await this.connected();
    const header = headers();
    header.set('Content-Type', 'application/cloudevents+json');
    // A consumer continues the trace of this attempt (and so of the command behind the event).
    for (const [name, value] of Object.entries(traceCarrier() ?? {})) header.set(name, value);
    const ack = await js.publish(busSubjectOf(message.body.type), JSON.stringify(message.body), {
      msgID: message.eventId,
      headers: header,
      timeout: ATTEMPT_TIMEOUT_MS,
    });
    return { outcome: 'delivered', responseBody: `stream ${ack.stream} sequence ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}` };
  }

  async close(): Promise<void> {
    this.closed = true;
    const bus = await this.bus?.catch(() => undefined);
    await bus?.connection.close();
  }

  private connected(): Promise<Bus> {
    if (this.closed) return Promise.reject(new Error('the event bus sender is closed'));
    this.bus ??= this.open().catch((err: unknown) => {
      // The next attempt connects again.
      this.bus = undefined;
      throw err;
    });
    return this.bus;
  }

  private async open(): Promise<Bus> {
    const connection = await connect({
      servers: this.target.url,
      name: 'ordersource',
      timeout: ATTEMPT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
    });
    try {
      await this.ensureStream(connection);
    } catch (err) {
      await connection.close();
      throw err;
    }
    void connection.closed().then((err) => {
      if (err) this.logger.warn({ err }, 'event bus connection closed');
      this.bus = undefined;
    });
    this.logger.info({ stream: this.target.stream }, 'connected to the event bus');
    return { connection, js: jetstream(connection) };
  }

  /** Creates the stream when it is absent; one that exists (made by an operator, with their limits and replicas) is left as it is. */
  private async ensureStream(connection: NatsConnection): Promise<void> {
    const manager = await jetstreamManager(connection);
    try {
      await manager.streams.info(this.target.stream);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
      await manager.streams.add({ name: this.target.stream, subjects: [`${BUS_SUBJECT_PREFIX}.>`] });
      this.logger.info({ stream: this.target.stream }, 'created the event bus stream');
    }
  }
}
