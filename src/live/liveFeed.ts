import type { Database } from '../db/database.js';
import { PRIMARY } from '../db/readReplica.js';
import type { ReadReplicas } from '../db/replicas.js';
import type { Logger } from '../logger.js';
import { tracingEnabled } from '../observability/tracing.js';
import { LiveOutageWatch } from './liveOutage.js';
import { recordPushSpan } from './livePushSpan.js';
import type { ChangeSource, LiveChange, LiveSource, ProjectionProgressSource } from './liveSource.js';

type Listener = (change: unknown) => void;

/**
 * Live changes for this process's subscribers, taken from the read tables after the projection
 * that fills them has committed (announced on PostgreSQL's projections channel by whichever
 * process runs the projection), so a pushed change and a query always agree, and every server
 * process sees every change without any other broker. One read per committed batch serves all
 * subscribers; a source of kind `order` emits `order:<id>` and `order`.
 */
export class LiveFeed implements ChangeSource {
  /** How far each live projection's changes have been pushed, by projection name (set by start). */
  private readonly cursors = new Map<string, bigint>();
  private readonly sources = new Map<string, LiveSource>();
  private work: Promise<void> = Promise.resolve();
  private unsubscribe?: () => void;
  private unsubscribeReconnect?: () => void;
  /** This process's runners (see followLocal), and how to stop hearing them. */
  private readonly localSources: Pick<ProjectionProgressSource, 'onProjectionProgress'>[] = [];
  private unsubscribeLocal: (() => void)[] = [];
  /**
   * Listeners by event name, each with the subscription field it serves. A Map, not an
   * EventEmitter's array: removing one is O(1), so a client dropping tens of thousands of
   * subscriptions at once costs time linear in their number, where searching one shared array per
   * removal took seconds and held the event loop.
   */
  private readonly listeners = new Map<string, Map<Listener, string | undefined>>();
  /** Listeners per kind (the event name up to its `:`). */
  private readonly listening = new Map<string, number>();
  /** Ends the subscriptions when the database stays away too long. */
  private readonly outage: LiveOutageWatch;

  constructor(
    private readonly db: Database,
    private readonly notifier: ProjectionProgressSource,
    private readonly logger: Logger,
    sources: readonly LiveSource[],
    /** Where a batch's changes may be read instead of the primary (a replica that has replayed it). */
    private readonly replicas?: ReadReplicas,
  ) {
    for (const source of sources) this.sources.set(source.projection, source);
    this.outage = new LiveOutageWatch(db, logger);
  }

  /** Calls `listener` with each change emitted as `event` (`<kind>` or `<kind>:<key>`). */
  on<C>(event: string, listener: (change: C) => void, field?: string): void {
    let listeners = this.listeners.get(event);
    if (!listeners) this.listeners.set(event, (listeners = new Map()));
    if (listeners.has(listener as Listener)) return;
    listeners.set(listener as Listener, field);
    this.count(event, 1);
  }

  off<C>(event: string, listener: (change: C) => void): void {
    const listeners = this.listeners.get(event);
    if (!listeners?.delete(listener as Listener)) return;
    if (listeners.size === 0) this.listeners.delete(event);
    this.count(event, -1);
  }

  onFailure(listener: (error: Error) => void): () => void {
    return this.outage.onFailure(listener);
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  // With nobody listening to a kind, its pulls only move the cursor: no read after every batch.
  // A subscriber listens before it reads its initial state or replay, and rows are committed
  // before their batch is announced, so whatever it did not hear, it reads.
  private count(event: string, by: number): void {
    const kind = event.split(':')[0]!;
    this.listening.set(kind, (this.listening.get(kind) ?? 0) + by);
  }

  /** Hands `change` to the listeners of `event`; with `reached`, also notes who got it (tracing). */
  private emit(event: string, change: unknown, reached?: Map<Listener, string | undefined>): void {
    const listeners = this.listeners.get(event);
    if (!listeners) return;
    // A copy, as an EventEmitter takes: a listener added while this change is handed out waits for the next.
    for (const [listener, field] of [...listeners]) {
      listener(change);
      reached?.set(listener, field);
    }
  }

  private heard(kind: string): boolean {
    return (this.listening.get(kind) ?? 0) > 0;
  }

  /**
   * Also hears the batches this process's own runners commit, as they commit: a push then need not
   * wait for the batch's announcement to travel through PostgreSQL (or Redis) and back. The
   * announcement still comes, and finds the cursor already there; other processes' batches are
   * heard from it alone. Called before start.
   */
  followLocal(source: Pick<ProjectionProgressSource, 'onProjectionProgress'>): void {
    this.localSources.push(source);
  }

  /** Starts from the projections' current positions (older changes are for replays). */
  async start(): Promise<void> {
    const rows = await this.checkpoints();
    for (const name of this.sources.keys()) this.cursors.set(name, rows.find((r) => r.name === name)?.position ?? 0n);
    // The second hearing of a batch finds the cursor past it and reads nothing.
    const heard = (name: string, position: bigint) => {
      if (this.sources.has(name)) this.enqueue(() => this.pull(name, position));
    };
    this.unsubscribe = this.notifier.onProjectionProgress(heard);
    this.unsubscribeLocal = this.localSources.map((source) => source.onProjectionProgress(heard));
    this.unsubscribeReconnect = this.notifier.onReconnect(() => this.enqueue(() => this.catchUp()));
    this.outage.start();
  }

  stop(): void {
    this.unsubscribe?.();
    for (const unsubscribe of this.unsubscribeLocal) unsubscribe();
    this.unsubscribeLocal = [];
    this.unsubscribeReconnect?.();
    this.outage.stop();
  }

  /**
   * After the listener lost its connection (a database outage), batches committed meanwhile were
   * never announced: pull up to where the projections stand now, so subscribers get them.
   */
  private async catchUp(): Promise<void> {
    for (const row of await this.checkpoints()) await this.pull(row.name, row.position);
  }

  /** Where the projections behind live pushes stand. */
  private checkpoints(): Promise<{ name: string; position: bigint }[]> {
    return this.db.prisma.projectionCheckpoint.findMany({
      where: { name: { in: [...this.sources.keys()] } },
      select: { name: true, position: true },
    });
  }

  /**
   * Pushes the changes of a live projection after its cursor up to `position`, then moves the
   * cursor (a failed read leaves it, so the next pull reads those changes again). With nobody
   * listening to its kind there is nothing to read (see `count`).
   */
  private async pull(name: string, position: bigint): Promise<void> {
    const cursor = this.cursors.get(name);
    const source = this.sources.get(name);
    if (cursor === undefined || !source || position <= cursor) return;
    if (this.heard(source.kind)) {
      if (tracingEnabled()) await this.pushTraced(source, cursor, position);
      else
        for (const { key, change } of await this.read(source, cursor, position)) {
          this.emit(`${source.kind}:${key}`, change);
          this.emit(source.kind, change);
        }
    }
    this.cursors.set(name, position);
  }

  /**
   * The same push, recorded as a `live.push` span in the trace of the mutation whose events it
   * carries (linked to each of several): which subscription fields got it, how many subscribers,
   * which positions. The events' trace contexts are read after the changes went out, so tracing
   * never delays a push; only this path walks the subscribers to count them.
   */
  private async pushTraced(source: LiveSource, cursor: bigint, position: bigint): Promise<void> {
    const startTime = Date.now();
    const reached = new Map<Listener, string | undefined>();
    const pushed: bigint[] = [];
    for (const { key, position: at, change } of await this.read(source, cursor, position)) {
      const heard = this.listenerCount(`${source.kind}:${key}`) + this.listenerCount(source.kind) > 0;
      this.emit(`${source.kind}:${key}`, change, reached);
      this.emit(source.kind, change, reached);
      if (heard) pushed.push(at);
    }
    if (pushed.length > 0)
      recordPushSpan(this.db.pool, this.logger, { source, cursor, position, pushed, fields: reached.values(), startTime });
  }

  /**
   * Reads a batch's changes from a healthy replica that has already replayed the projection's
   * checkpoint up to `upTo` (its rows commit with the checkpoint, so they are all there), else
   * from the primary: a push is never read from a replica that has not reached it, and never
   * waits for one either.
   */
  private async read(source: LiveSource, after: bigint, upTo: bigint): Promise<LiveChange[]> {
    const replica = this.replicas?.pickReached([source.projection], upTo);
    if (replica) {
      try {
        const changes = await source.read(replica.db, after, upTo);
        this.replicas!.noteRead(replica.name, 'live');
        return changes;
      } catch (err) {
        this.logger.warn({ err, replica: replica.name }, 'live feed could not read changes from a replica: reading the primary');
      }
    }
    const changes = await source.read(this.db, after, upTo);
    this.replicas?.noteRead(PRIMARY, 'live');
    return changes;
  }

  // Pulls run one at a time, in the order their notifications came, so pushes stay in position order.
  private enqueue(pull: () => Promise<void>): void {
    this.work = this.work.then(pull).catch((err: unknown) => this.logger.warn({ err }, 'live feed could not read changes'));
  }
}
