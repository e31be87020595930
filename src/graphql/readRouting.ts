import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Database } from '../db/database.js';
import { PRIMARY, type ReadReplica } from '../db/readReplica.js';
import type { RequestServices } from './context.js';

/** Where one request reads the read models: a replica, or the primary. */
interface Route {
  db: Database;
  replica?: ReadReplica;
}

/** A request's context, as far as routing reads needs it (the route is kept per request). */
type RoutedContext = { services: Pick<RequestServices, 'db' | 'replicas' | 'readSide'> };

/**
 * Each request reads from one database, chosen at its first read: a healthy replica (in turn), or
 * the primary when none is. Keeping to one for the whole request keeps its reads monotonic (two
 * fields never see the primary's newer rows and then a replica's older ones); the only move
 * allowed later is to the primary, which is ahead of every replica.
 */
const routes = new WeakMap<object, Route>();

/**
 * How long a `consistentWith` read whose position the primary already has keeps waiting for a
 * replica to replay it before the primary serves it. A replica streaming normally replays within
 * milliseconds; this bounds what a slow one adds to a read.
 */
export const REPLICA_CATCH_UP_MS = 1_000;

/** Sets the request's database; a query's counts as one read served by it. */
function fix(ctx: RoutedContext, route: Route, counted = true): Route {
  routes.set(ctx, route);
  if (counted) ctx.services.replicas.noteRead(route.replica?.name ?? PRIMARY, 'query');
  return route;
}

function primaryRoute(ctx: RoutedContext): Route {
  return { db: ctx.services.db };
}

/** The database this request reads the read models from (chosen on first use). */
export function readDbOf(ctx: RoutedContext): Database {
  const route = routes.get(ctx);
  if (route) return route.db;
  if (!ctx.services.replicas.configured) return ctx.services.db;
  const replica = ctx.services.replicas.pick();
  return fix(ctx, replica ? { db: replica.db, replica } : primaryRoute(ctx)).db;
}

/** This request reads from the primary (a mutation's answer, which must not wait for a replica). */
export function readFromPrimary(ctx: RoutedContext): void {
  if (!ctx.services.replicas.configured) return;
  const route = routes.get(ctx);
  if (!route || route.replica) fix(ctx, primaryRoute(ctx), false);
}

/**
 * Whether the database this request reads from has `names` up to `position` already (without a
 * wait: a request that has not read yet is given a replica that has them, if one is healthy).
 */
export function readPositionReached(ctx: RoutedContext, names: readonly string[], position: bigint): boolean {
  const onPrimary = () => ctx.services.readSide.consistency.reached(names, position);
  if (!ctx.services.replicas.configured) return onPrimary();
  const route = routes.get(ctx);
  if (route) return route.replica ? route.replica.reached(names, position) : onPrimary();
  const replica = ctx.services.replicas.pickReached(names, position);
  if (!replica) return false;
  fix(ctx, { db: replica.db, replica });
  return true;
}

/**
 * Read-your-writes, wherever the read lands: resolves once the database this request reads from
 * has applied `names` up to `position` (throws ConsistencyTimeoutError after the consistency
 * timeout, as on the primary).
 *
 * With replicas, a request that has not read yet goes to a healthy replica that already has the
 * position, else waits for the first one that replays it; a request already reading from a replica
 * waits for that one. Once the primary has applied the position, the replicas are sent its WAL
 * and asked again within milliseconds. The primary gets the read when no replica is healthy, or
 * when the primary has applied the position and no replica has followed within
 * {@link REPLICA_CATCH_UP_MS} (a replica gone slow must not hold reads much longer than the
 * primary would).
 */
export async function waitForReadPosition(ctx: RoutedContext, names: readonly string[], position: bigint): Promise<void> {
  const { replicas, readSide } = ctx.services;
  let route = routes.get(ctx);
  if (!replicas.configured || (route && !route.replica)) return readSide.waitFor(names, position);
  const among = route?.replica ? [route.replica] : undefined;
  const controller = new AbortController();
  const onReplica = replicas
    .waitForReached(names, position, controller.signal, among)
    .then((replica) => (replica ? { db: replica.db, replica } : undefined));
  const onPrimary = readSide.waitFor(names, position).then(async () => {
    // The primary has applied it, but the batch committed without waiting for its WAL flush, and
    // replicas receive only flushed WAL: have it sent now instead of after the WAL writer's delay.
    if (!controller.signal.aborted) void replicas.sendCommittedWal();
    await abortableDelay(REPLICA_CATCH_UP_MS, controller.signal);
    return primaryRoute(ctx);
  });
  onPrimary.catch(() => {}); // a timeout matters only if the primary is what the read waits for
  let chosen: Route | undefined;
  try {
    chosen = await Promise.race([onReplica, onPrimary]);
    // No replica healthy (any more): the primary serves once it has the position.
    chosen ??= await onPrimary;
  } finally {
    controller.abort();
  }
  route = routes.get(ctx);
  if (!route) fix(ctx, chosen);
  else if (route.replica && route.replica !== chosen.replica) {
    // Another field of this request chose first: keep to its database if it has the position.
    if (!route.replica.reached(names, position) || !chosen.replica) fix(ctx, primaryRoute(ctx));
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * Only queries read from replicas. A mutation's answer (its order's history, a customer's figures)
 * and a subscription's values follow a write or a committed batch the primary has and a replica
 * may not: they read the primary, as before, instead of waiting for a replica to catch up.
 */
export function useReadRouting(): Plugin<RoutedContext> {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') readFromPrimary(args.contextValue);
    },
    onSubscribe({ args }) {
      readFromPrimary(args.contextValue);
    },
  };
}
