import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger.js';
import { withDeadline } from '../observability/projectionProgress.js';
import { traceCarrier } from '../observability/tracing.js';
import type { AttemptResult, ReactionMessage, ReactionSender } from '../reactions/reaction.js';
import { BUS_SUBJECT_PREFIX, busSubjectOf } from './busSubjects.js';

/** An attempt (connecting if need be, then the publish and its acknowledgement) fails after this long and is retried. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/**
 * Messages of one stream claimed and published together, without waiting for each
 * acknowledgement: a backlog goes out at the broker's pace, not at one round trip per message.
 */
const RUN_LENGTH = 100;
/**
 * Streams published at once. The broker, not a partner's web server, takes them: a backlog spread
 * over many orders goes out in a few claims rather than in REACTION_CONCURRENCY's handful.
 */
const STREAMS_IN_FLIGHT = 64;

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
 * reconnects by itself; meanwhile attempts fail at once, and so do those that were awaiting an
 * acknowledgement when the connection dropped (it will never come: their messages were lost, or
 * stored and then dropped as repeats when sent again), rather than each waiting for its timeout.
 *
 * Pipelined: a run's messages are published one after the other without waiting for their
 * acknowledgements. That keeps log order per stream, failures included, because the broker stores
 * one connection's messages in the order they were written, a run is written in one go on one
 * connection (the client buffers what is published in one turn of the event loop and writes it
 * together; a reconnect drops what the old connection had not sent), so what the stream holds
 * after a failure is a prefix of the run, and the dispatcher sends everything from the first
 * failure on again, in order (the stored ones are dropped as repeats). What this cannot keep in
 * order is a stream set up to refuse one message and take the next (a limit per subject with
 * `discard: new`, a message size limit): the dispatcher logs it.
 */
export class JetStreamSender implements ReactionSender {
  readonly attemptTimeoutMs = ATTEMPT_TIMEOUT_MS;
  readonly runLength = RUN_LENGTH;
  readonly concurrency = STREAMS_IN_FLIGHT;
  readonly pipelined = true;
  private bus?: Promise<Bus>;
  /** The connection once made: publishing on it needs no wait, so calls publish in their order. */
  private current?: Bus;
  /** True while the client reconnects. */
  private down = false;
  /** How to fail each publish awaiting its acknowledgement (when the connection drops). */
  private readonly awaiting = new Set<(err: Error) => void>();
  private closed = false;

  constructor(
    private readonly target: JetStreamTarget,
    private readonly logger: Logger,
  ) {}

  async send(message: ReactionMessage): Promise<AttemptResult> {
    try {
      // Connected: published before this function first waits (the publish's own timeout bounds
      // it). Otherwise one deadline for connecting and publishing: the attempt must end within
      // its lease; calls waiting for the connection resume, and publish, in their order.
      if (this.down) return { outcome: 'failed', error: 'the event bus connection is down (reconnecting)' };
      if (this.current) return await this.publish(this.current.js, message);
      return await withDeadline(
        this.connected().then(({ js }) => this.publish(js, message)),
        ATTEMPT_TIMEOUT_MS,
        'the event bus',
      );
    } catch (err) {
      return { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async publish(js: JetStreamClient, message: ReactionMessage): Promise<AttemptResult> {
    const header = headers();
    header.set('Content-Type', 'application/cloudevents+json');
    // A consumer continues the trace of this attempt (and so of the command behind the event).
    for (const [name, value] of Object.entries(traceCarrier() ?? {})) header.set(name, value);
    const published = js.publish(busSubjectOf(message.body.type), JSON.stringify(message.body), {
      msgID: message.eventId,
      headers: header,
      timeout: ATTEMPT_TIMEOUT_MS,
    });
    const ack = await new Promise<Awaited<typeof published>>((resolve, reject) => {
      this.awaiting.add(reject);
      published.then(resolve, reject).finally(() => this.awaiting.delete(reject));
    });
    return { outcome: 'delivered', responseBody: `stream ${ack.stream} sequence ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}` };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.current = undefined;
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
      // By default the client makes two Error objects per publish, to have a stack ready should it
      // fail: at the bus's rate that was a fifth of the process's time, and as much again in garbage
      // collection. An attempt's failure is recorded by its message, which these stacks never reach.
      noAsyncTraces: true,
    });
    try {
      await this.ensureStream(connection);
    } catch (err) {
      await connection.close();
      throw err;
    }
    const bus = { connection, js: jetstream(connection) };
    void this.follow(connection);
    void connection.closed().then((err) => {
      if (err) this.logger.warn({ err }, 'event bus connection closed');
      this.bus = undefined;
      this.current = undefined;
      this.down = false;
    });
    this.logger.info({ stream: this.target.stream }, 'connected to the event bus');
    this.current = bus;
    return bus;
  }

  /** Keeps `down` and fails the publishes awaiting an acknowledgement when the connection drops. */
  private async follow(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.down = true;
        const lost = new Error('the event bus connection dropped before the acknowledgement');
        for (const fail of this.awaiting) fail(lost);
        this.awaiting.clear();
      } else if (status.type === 'reconnect') this.down = false;
    }
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
