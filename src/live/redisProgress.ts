import { EventEmitter } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { ProjectionRunner } from '../projections/runner.js';
import type { ProjectionProgressSource } from './liveSource.js';

/** The Redis channel that carries `{ name, position }` after each committed projection batch. */
export const REDIS_PROGRESS_TOPIC = 'ordersource:projection-progress';

type ProgressMessage = { name: string; position: string };

/**
 * Projection progress through Redis pub/sub (`REDIS_URL`), via Yoga's Redis event target, instead of
 * PostgreSQL's NOTIFY: for deployments where LISTEN is not available to every server process
 * (a transaction-pooling PgBouncer, say) or where Redis already carries the fan-out. The process
 * running a projection publishes after each batch commits; every process's live feed reads the
 * committed rows from PostgreSQL on the signal, exactly as with NOTIFY, so what it pushes always
 * agrees with queries.
 *
 * A signal lost while Redis is away only delays pushes: the next signal covers everything since
 * the feed's cursor, and a reconnect makes the feed re-read where the projections stand.
 */
export class RedisProjectionProgress implements ProjectionProgressSource {
  private readonly emitter = new EventEmitter();
  private readonly target: ReturnType<typeof createRedisEventTarget>;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
    // The event target publishes without awaiting; a failed publish must be logged, not become an
    // unhandled rejection that takes the process down.
    const publishClient = {
      publish: (channel: string, message: string) =>
        publisher.publish(channel, message).catch((err: unknown) => logger.warn({ err }, 'could not publish projection progress to Redis')),
    } as unknown as Redis;
    this.target = createRedisEventTarget({ publishClient, subscribeClient: subscriber });
    this.target.addEventListener(REDIS_PROGRESS_TOPIC, (event) => {
      const detail = (event as CustomEvent<ProgressMessage | null>).detail;
      if (detail && typeof detail.name === 'string' && /^\d+$/.test(detail.position))
        this.emitter.emit('projection', detail.name, BigInt(detail.position));
    });
    let connected = true;
    subscriber.on('close', () => (connected = false));
    subscriber.on('ready', () => {
      if (!connected) this.emitter.emit('reconnect');
      connected = true;
    });
  }

  /** Connects both clients (publishing and subscribing need one each) and subscribes. */
  static async connect(url: string, logger: Logger): Promise<RedisProjectionProgress> {
    const options = { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 2 };
    const publisher = new Redis(url, options);
    const subscriber = new Redis(url, options);
    for (const client of [publisher, subscriber]) client.on('error', (err) => logger.warn({ err }, 'Redis connection error'));
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      const progress = new RedisProjectionProgress(publisher, subscriber, logger);
      // The event target subscribes without waiting; be listening before anyone relies on it.
      await subscriber.subscribe(REDIS_PROGRESS_TOPIC);
      return progress;
    } catch (error) {
      publisher.disconnect();
      subscriber.disconnect();
      throw error;
    }
  }

  /** The publishing connection, for other short commands (it is never in subscriber mode). */
  get commands(): Redis {
    return this.publisher;
  }

  /** Announces that projection `name` has committed up to `position`. */
  publish(name: string, position: bigint): void {
    this.target.dispatchEvent(new CustomEvent<ProgressMessage>(REDIS_PROGRESS_TOPIC, { detail: { name, position: position.toString() } }));
  }

  /** Publishes every committed batch of these runners (those active in this process). */
  publishFrom(runners: readonly ProjectionRunner[]): void {
    for (const runner of runners) runner.on('progress', (position: bigint) => this.publish(runner.projection.name, position));
  }

  onProjectionProgress(listener: (name: string, position: bigint) => void): () => void {
    this.emitter.on('projection', listener);
    return () => this.emitter.off('projection', listener);
  }

  onReconnect(listener: () => void): () => void {
    this.emitter.on('reconnect', listener);
    return () => this.emitter.off('reconnect', listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.publisher.quit(), this.subscriber.quit()]);
    this.logger.debug('Redis projection progress closed');
  }
}
