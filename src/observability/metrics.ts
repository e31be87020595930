import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReadReplicas } from '../db/replicas.js';
import type { AppendResult } from '../eventStore/eventStore.js';
import type { Logger } from '../logger.js';
import { readProjectionProgress, withDeadline, type ReadSideProgress } from './projectionProgress.js';

/** What a command ended with: `ok`, or the rejection's `code` (`INTERNAL_ERROR` when unexpected). */
export type CommandOutcome = 'ok' | (string & {});

// Appends take about a millisecond alone and tens under group commit; the buckets cover both
// and the seconds a database in trouble takes.
const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const PROGRESS_TIMEOUT_MS = 2_000;

/**
 * The service's Prometheus metrics, in a registry of its own per server instance (so several
 * servers in one process, as in the tests, never share or clash). The GraphQL metrics of
 * `@graphql-yoga/plugin-prometheus` go into the same registry (see `usePrometheusMetrics`).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly commands: Counter<'command' | 'outcome'>;
  private readonly appendSeconds: Histogram<'result'>;
  private readonly subscriptions: Gauge<'field'>;
  private readonly rebuildPositions: Gauge<'projection'>;
  private progress?: Promise<ReadSideProgress | undefined>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** The service's projections, whose progress the gauges report. */
    private readonly projectionNames: readonly string[],
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.commands = new Counter({
      name: 'ordersource_commands_total',
      help: 'Commands (mutations) handled, by command and outcome: ok, or the rejection code.',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.appendSeconds = new Histogram({
      name: 'ordersource_event_append_duration_seconds',
      help: 'Time from asking the event store to append until the append is answered (committed or refused), group commit wait included.',
      labelNames: ['result'],
      buckets: APPEND_BUCKETS,
      registers,
    });
    this.subscriptions = new Gauge({
      name: 'ordersource_subscriptions_active',
      help: 'Subscriptions this process is serving now (graphql-ws and server-sent events), by subscription field.',
      labelNames: ['field'],
      registers,
    });
    // A registry collects its metrics one by one in the order they were registered, so the head
    // gauge reads the head and checkpoints once per scrape and the projection gauges reuse that.
    const refresh = () => (this.progress = this.readProgress());
    const progress = () => this.progress ?? refresh();
    new Gauge({
      name: 'ordersource_event_store_head_position',
      help: 'Global position of the newest event in the log.',
      registers,
      async collect() {
        const read = await refresh();
        if (read) this.set(Number(read.head));
      },
    });
    new Gauge({
      name: 'ordersource_projection_position',
      help: 'The last log position each projection has applied (its checkpoint).',
      labelNames: ['projection'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await progress())?.projections ?? []) this.set({ projection: p.name }, Number(p.position));
      },
    });
    new Gauge({
      name: 'ordersource_projection_lag_events',
      help: 'Head position minus the projection checkpoint: how many log positions it is behind.',
      labelNames: ['projection'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await progress())?.projections ?? []) this.set({ projection: p.name }, Number(p.lag));
      },
    });
    new Gauge({
      name: 'ordersource_projection_failed',
      help: '1 when the projection stopped on an event it could not apply (status FAILED), else 0.',
      labelNames: ['projection'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await progress())?.projections ?? []) this.set({ projection: p.name }, p.status === 'FAILED' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ordersource_projection_rebuilding',
      help: '1 while a new version of the projection is rebuilt beside its serving tables (status REBUILDING), else 0.',
      labelNames: ['projection'],
      registers,
      async collect() {
        this.reset();
        for (const p of (await progress())?.projections ?? []) this.set({ projection: p.name }, p.status === 'REBUILDING' ? 1 : 0);
      },
    });
    this.rebuildPositions = new Gauge({
      name: 'ordersource_projection_rebuild_position',
      help: 'The log position a rebuild in this process has brought the new tables to (compare with ordersource_event_store_head_position).',
      labelNames: ['projection'],
      registers,
    });
  }

  /** Reports each read replica's lag and state, and counts the reads each database served. */
  followReplicas(replicas: ReadReplicas): void {
    if (!replicas.configured) return;
    const registers = [this.registry];
    new Gauge({
      name: 'ordersource_read_replica_lag_seconds',
      help: 'How far each read replica replays behind the primary (the age of the oldest primary WAL position it has not replayed); absent until it first answers.',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const r of replicas.status()) if (r.lagMs !== undefined) this.set({ replica: r.name }, r.lagMs / 1000);
      },
    });
    new Gauge({
      name: 'ordersource_read_replica_up',
      help: '1 while the read replica serves reads; 0 while it is down or lags more than READ_REPLICA_MAX_LAG_MS (reads skip it).',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const r of replicas.status()) this.set({ replica: r.name }, r.state === 'up' ? 1 : 0);
      },
    });
    const reads = new Counter({
      name: 'ordersource_read_database_reads_total',
      help: 'Reads of the read models by the database that served them (a replica, or primary): query requests (`reader="query"`) and live-feed batches (`reader="live"`).',
      labelNames: ['database', 'reader'],
      registers,
    });
    for (const r of replicas.replicas) for (const reader of ['query', 'live']) reads.inc({ database: r.name, reader }, 0);
    replicas.onRead((database, reader) => reads.inc({ database, reader }));
  }

  /** Follows the rebuilds the runners of this process make (their `rebuildProgress`). */
  followRebuilds(
    runners: readonly { projection: { name: string }; on(event: 'rebuildProgress', listener: (position: bigint) => void): unknown }[],
  ): void {
    for (const runner of runners)
      runner.on('rebuildProgress', (position) => this.rebuildPositions.set({ projection: runner.projection.name }, Number(position)));
  }

  /** Counts one command's outcome. */
  recordCommand(command: string, outcome: CommandOutcome): void {
    this.commands.inc({ command, outcome });
  }

  /** Counts a subscription as active until the returned function is called (once). */
  subscriptionStarted(field: string): () => void {
    this.subscriptions.inc({ field });
    let ended = false;
    return () => {
      if (!ended) this.subscriptions.dec({ field });
      ended = true;
    };
  }

  /** Observes one append's latency; given to the {@link EventStore} as its append observer. */
  readonly observeAppend = (seconds: number, result: AppendResult): void => {
    this.appendSeconds.observe({ result }, seconds);
  };

  /** The head and checkpoints; a failed read leaves the gauges empty rather than failing the scrape. */
  private readProgress(): Promise<ReadSideProgress | undefined> {
    return withDeadline(readProjectionProgress(this.pool, this.projectionNames), PROGRESS_TIMEOUT_MS, 'the database').catch(
      (err: unknown) => {
        this.logger.warn({ err }, 'metrics: could not read projection progress');
        return undefined;
      },
    );
  }
}
