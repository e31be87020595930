import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readPostmasterPid } from '../src/db/embeddedLocks.js';
import { stopProcess } from '../tests/support/liveProcess.js';
import type { ServerProcess } from '../tests/support/serverProcess.js';

/**
 * What the soak leaves behind, released whatever ends the run: a failure, an error nobody awaited,
 * a signal from the test runner. The server is asked to stop (it stops its PostgreSQL), killed if
 * it does not, and a PostgreSQL it could not stop is killed by its pid file, before the data
 * folder goes.
 */
export const leftovers: { dataDir?: string; server?: ServerProcess; probe?: { close(): void } } = {};
let cleaning: Promise<void> | undefined;
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    leftovers.probe?.close();
    await stopProcess(leftovers.server, 15_000).catch((error: unknown) => console.error('soak: stopping the server:', error));
    if (leftovers.dataDir) {
      const postmaster = await readPostmasterPid(path.join(leftovers.dataDir, 'pg'));
      if (postmaster) {
        try {
          process.kill(postmaster, 'SIGKILL');
        } catch {
          // already gone: the server stopped it
        }
      }
      await rm(leftovers.dataDir, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

export async function failAndCleanUp(why: string, error?: unknown): Promise<never> {
  console.error(`soak failed: ${why}`, error ?? '');
  await cleanUp();
  process.exit(1);
}

/**
 * From now on a rejection nobody handled, an uncaught exception or SIGTERM/SIGINT ends the soak as
 * a failure, but only after the clean-up: the default (exit at once) left a server and its
 * PostgreSQL running after CI ended.
 */
export function cleanUpWhateverEnds(): void {
  process.on('unhandledRejection', (error) => void failAndCleanUp('unhandled rejection', error));
  process.on('uncaughtException', (error) => void failAndCleanUp('uncaught exception', error));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void failAndCleanUp(`stopped by ${signal}`));
}
