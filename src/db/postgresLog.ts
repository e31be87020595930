import fs from 'node:fs/promises';

/** The log the embedded postmaster writes in the data folder. */
export const LOG_FILE = 'postgres.log';
/** How much of the log, at most, is searched for why the postmaster stopped (its last lines say). */
const LOG_TAIL_BYTES = 64 * 1024;
/** PostgreSQL's words for a write that found no space (SQLSTATE 53100, and the PANIC of a WAL write). */
const OUT_OF_SPACE_LOG = /No space left on device|could not extend file|Check free disk space/;
/**
 * Free space below which a postmaster that stopped or failed to start is taken to have done so
 * for lack of it: one WAL segment, which its end-of-recovery checkpoint may need to create. (On a
 * full disk the log itself may be unwritable, so its words cannot be relied on alone.)
 */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

export async function sizeOf(file: string): Promise<number> {
  return (await fs.stat(file).catch(() => undefined))?.size ?? 0;
}

/**
 * Why PostgreSQL could not run for lack of space, if it could not: its out-of-space words in the
 * log written since `logFrom`, or too little free space where the cluster lives.
 */
export async function storageShortage(logPath: string, logFrom: number, clusterDir: string): Promise<string | undefined> {
  const logged = await readLogTail(logPath, logFrom).catch(() => '');
  const line = logged.split('\n').find((l) => OUT_OF_SPACE_LOG.test(l));
  if (line) return line.trim();
  const stats = await fs.statfs(clusterDir).catch(() => undefined);
  if (stats && stats.bavail * stats.bsize < MIN_FREE_BYTES) return `${stats.bavail * stats.bsize} bytes free in ${clusterDir}`;
  return undefined;
}

async function readLogTail(logPath: string, logFrom: number): Promise<string> {
  const handle = await fs.open(logPath, 'r');
  try {
    const size = (await handle.stat()).size;
    const from = Math.max(logFrom, size - LOG_TAIL_BYTES);
    if (from >= size) return '';
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
