import type pg from 'pg';
import type { EventStore } from '../eventStore/eventStore.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { markFailedWith, messageOf, setStatus } from './checkpoints.js';
import { isTransient } from './poison.js';
import type { Projection } from './projection.js';
import { rebuildProjection, RebuildStoppedError, type RebuildOptions } from './rebuild.js';

/** What a runner rebuilds its projection with. */
export interface VersionRebuildParts extends Pick<RebuildOptions, 'shouldStop' | 'onProgress'> {
  pool: pg.Pool;
  /** Where the checkpoint's status is written (the runner's lane). */
  prisma: PrismaClient;
  eventStore: EventStore;
  logger: Logger;
}

/**
 * Rebuilds tables built by an older version of `projection` for its own (status REBUILDING
 * meanwhile) and swaps them in: resolves with the position swapped in. A rebuild that fails for
 * good marks the projection FAILED (the old tables keep serving, and an admin's retry is awaited
 * rather than the rebuild repeated in a loop) and resolves with undefined; a stop or a lost
 * database is thrown, to be retried.
 */
export async function rebuildForItsVersion(
  projection: Projection,
  storedVersion: number,
  { pool, prisma, eventStore, logger, shouldStop, onProgress }: VersionRebuildParts,
): Promise<bigint | undefined> {
  const { name, version } = projection;
  await setStatus(prisma, name, 'REBUILDING');
  logger.info({ projection: name, from: storedVersion, to: version }, 'rebuilding projection for its new version');
  try {
    const { position, events, ms } = await rebuildProjection(pool, eventStore, projection, { logger, shouldStop, onProgress });
    logger.info({ projection: name, version, events, ms: Math.round(ms) }, 'projection rebuilt and swapped in');
    return position;
  } catch (error) {
    if (error instanceof RebuildStoppedError || isTransient(error)) throw error;
    await markFailedWith(prisma, name, `rebuilding version ${version}: ${messageOf(error)}`);
    logger.error({ err: error, projection: name }, 'rebuild of the projection failed; the old tables keep serving');
    return undefined;
  }
}
