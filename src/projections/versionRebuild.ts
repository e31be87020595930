import type pg from 'pg';
import type { EventStore } from '../eventStore/eventStore.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { markFailedWith, messageOf, setStatus, type Checkpoint } from './checkpoints.js';
import { isTransient } from './poison.js';
import type { Projection } from './projection.js';
import { rebuildProjection, RebuildStoppedError, type RebuildOptions } from './rebuild.js';

/** What a runner settles its projection's version with. */
export interface VersionSettlingParts extends Pick<RebuildOptions, 'shouldStop' | 'onProgress'> {
  pool: pg.Pool;
  /** Where the checkpoint's status is written (the runner's lane). */
  prisma: PrismaClient;
  eventStore: EventStore;
  logger: Logger;
  /** Told the position a rebuild swapped in. */
  onSwappedIn(position: bigint): void;
  /** Told when a rebuild starts (true) and ends (false). */
  rebuilding(on: boolean): void;
  /** Leaves the projection to another process for a while (its lock released). */
  standBy(): Promise<void>;
}

/**
 * `current`: the tables are this version's, carry on. `settled`: something was done (the caller
 * re-reads the checkpoint). `rebuilt`: a rebuild ran, swapped in or marked FAILED (the head the
 * runner knew is stale too).
 */
export type VersionSettling = 'current' | 'settled' | 'rebuilt';

/**
 * Brings the serving tables to this code's version of the projection. Tables of an older version
 * are rebuilt beside the serving ones and swapped in; a FAILED projection waits for an admin's
 * retry first, so a rebuild that fails is not repeated in a loop. Tables of a newer version are
 * left to the newer release (during a rolling upgrade): this process stands by rather than
 * rebuild them back. A stop or a lost database during a rebuild is thrown, to be retried.
 */
export async function settleVersion(projection: Projection, stored: Checkpoint, parts: VersionSettlingParts): Promise<VersionSettling> {
  const { prisma, logger } = parts;
  const { name, version } = projection;
  if (stored.version === version) {
    // A rebuild abandoned by a process that died: these tables are current, carry on.
    if (stored.status !== 'REBUILDING') return 'current';
    await setStatus(prisma, name, 'RUNNING');
    return 'settled';
  }
  if (stored.version > version) {
    logger.warn({ projection: name, stored: stored.version, mine: version }, 'a newer release built this projection; standing by');
    await parts.standBy();
    return 'settled';
  }
  if (stored.status === 'FAILED') return 'current';
  await setStatus(prisma, name, 'REBUILDING');
  logger.info({ projection: name, from: stored.version, to: version }, 'rebuilding projection for its new version');
  parts.rebuilding(true);
  try {
    const { shouldStop, onProgress } = parts;
    const { position, events, ms } = await rebuildProjection(parts.pool, parts.eventStore, projection, { logger, shouldStop, onProgress });
    logger.info({ projection: name, version, events, ms: Math.round(ms) }, 'projection rebuilt and swapped in');
    parts.onSwappedIn(position);
  } catch (error) {
    if (error instanceof RebuildStoppedError || isTransient(error)) throw error;
    await markFailedWith(prisma, name, `rebuilding version ${version}: ${messageOf(error)}`);
    logger.error({ err: error, projection: name }, 'rebuild of the projection failed; the old tables keep serving');
  } finally {
    parts.rebuilding(false);
  }
  return 'rebuilt';
}
