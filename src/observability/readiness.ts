import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ReplicaStatus } from '../db/readReplica.js';
import type { ReadReplicas } from '../db/replicas.js';
import type { Logger } from '../logger.js';
import type { OperatorAccess } from './operatorAccess.js';
import { readProjectionProgress, withDeadline, type ProjectionProgress } from './projectionProgress.js';

/** Why the server is not ready, one entry per failed check (machine-readable `code`). */
export type ReadinessFailure =
  | { check: 'database'; code: 'DATABASE_UNAVAILABLE' | 'STORAGE_FULL'; message: string }
  | { check: 'projections'; code: 'PROJECTION_FAILED' | 'PROJECTION_LAGGING'; projection: string; message: string };

/** The body of `GET /ready`. */
export interface Readiness {
  ready: boolean;
  failures: ReadinessFailure[];
  /** How long the database took to answer `SELECT 1` (absent when it did not answer). */
  databaseLatencyMs?: number;
  maxProjectionLag: number;
  /** Every projection against the head (absent when the database did not answer). */
  projections?: { name: string; status: string; position: string; lag: number }[];
  /** Projections whose new version is being rebuilt while their old tables serve (not a failure). */
  rebuilding?: string[];
  head?: string;
  /**
   * Each read replica with its state and lag (absent without replicas). A replica down or lagging
   * is no failure: its reads go to the primary.
   */
  replicas?: ReplicaStatus[];
}

/** What readiness looks at: the primary and its health gate, the replicas, the projections' names. */
export interface ReadinessSources {
  config: Pick<Config, 'readyMaxProjectionLag'>;
  logger: Logger;
  db: Pick<Database, 'pool' | 'health'>;
  replicas: Pick<ReadReplicas, 'configured' | 'status'>;
  readSide: { readonly projections: readonly { readonly name: string }[] };
}

/** How long each readiness query may take: a probe must answer well within its own timeout. */
export const READY_TIMEOUT_MS = 2_000;

/**
 * Readiness: the health gate reports no trouble (the heartbeat answers, no write failed for lack
 * of space in the last seconds), the database answers `SELECT 1` within {@link READY_TIMEOUT_MS}, and every
 * projection is RUNNING and at most `READY_MAX_PROJECTION_LAG` positions behind the head (so
 * reads through this server are current). A projection being rebuilt for a new version is no
 * failure: its old tables keep serving, and every process would otherwise drop out of its load
 * balancer at once for the whole rebuild; the body names it under `rebuilding`. Projection errors stay out of the body (it is not
 * authenticated): staff read them with the `projections` query.
 */
export async function checkReadiness(services: ReadinessSources): Promise<Readiness> {
  const readiness = await checkPrimary(services);
  return services.replicas.configured ? { ...readiness, replicas: services.replicas.status() } : readiness;
}

async function checkPrimary(services: Omit<ReadinessSources, 'replicas'>): Promise<Readiness> {
  const maxProjectionLag = services.config.readyMaxProjectionLag;
  // The health gate's verdict (a heartbeat unanswered, a recent out-of-space write) needs no query.
  const trouble = services.db.health.trouble();
  if (trouble) return { ready: false, failures: [{ check: 'database', ...trouble }], maxProjectionLag };
  const started = performance.now();
  try {
    await withDeadline(services.db.pool.query('SELECT 1'), READY_TIMEOUT_MS, 'the database');
  } catch (err) {
    services.logger.warn({ err }, 'readiness: the database did not answer');
    const message = `the database did not answer SELECT 1 within ${READY_TIMEOUT_MS} ms`;
    return { ready: false, failures: [{ check: 'database', code: 'DATABASE_UNAVAILABLE', message }], maxProjectionLag };
  }
  const databaseLatencyMs = Math.round(performance.now() - started);
  let progress;
  try {
    progress = await withDeadline(
      readProjectionProgress(
        services.db.pool,
        services.readSide.projections.map((p) => p.name),
      ),
      READY_TIMEOUT_MS,
      'the database',
    );
  } catch (err) {
    services.logger.warn({ err }, 'readiness: could not read the projection checkpoints');
    const message = 'the database did not answer the projection checkpoint query';
    return { ready: false, failures: [{ check: 'database', code: 'DATABASE_UNAVAILABLE', message }], databaseLatencyMs, maxProjectionLag };
  }
  const failures = progress.projections.flatMap((p) => projectionFailures(p, maxProjectionLag));
  return {
    ready: failures.length === 0,
    failures,
    databaseLatencyMs,
    maxProjectionLag,
    head: progress.head.toString(),
    rebuilding: progress.projections.filter((p) => p.status === 'REBUILDING').map((p) => p.name),
    projections: progress.projections.map((p) => ({ name: p.name, status: p.status, position: p.position.toString(), lag: Number(p.lag) })),
  };
}

function projectionFailures(p: ProjectionProgress, maxLag: number): ReadinessFailure[] {
  if (p.status === 'REBUILDING') return [];
  if (p.status === 'FAILED') {
    return [
      {
        check: 'projections',
        code: 'PROJECTION_FAILED',
        projection: p.name,
        message: `projection ${p.name} stopped on an event after position ${p.position}`,
      },
    ];
  }
  if (p.lag > BigInt(maxLag)) {
    return [
      {
        check: 'projections',
        code: 'PROJECTION_LAGGING',
        projection: p.name,
        message: `projection ${p.name} is ${p.lag} positions behind the head (at most ${maxLag})`,
      },
    ];
  }
  return [];
}

/** A readiness check that itself failed: not ready, and the reason goes to the log, not the answer. */
async function checkReadinessSafely(services: ReadinessSources): Promise<Readiness> {
  try {
    return await checkReadiness(services);
  } catch (err) {
    services.logger.error({ err }, 'readiness: the check failed');
    const message = 'the readiness check failed; see the server log';
    return { ready: false, failures: [{ check: 'database', code: 'DATABASE_UNAVAILABLE', message }], maxProjectionLag: 0 };
  }
}

/**
 * `GET /ready`: 200 when ready, 503 otherwise. Requests `access` grants get the checks (positions,
 * lag, replicas, failures); the others, load balancers among them, `{"ready": true|false}` alone.
 */
export function useReadinessCheck(services: ReadinessSources, access: (request: Request) => OperatorAccess, endpoint = '/ready'): Plugin {
  return {
    async onRequest({ url, request, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      const readiness = await checkReadinessSafely(services);
      const body = access(request) === 'granted' ? readiness : { ready: readiness.ready };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: readiness.ready ? 200 : 503,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
