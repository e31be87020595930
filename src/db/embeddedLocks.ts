import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import pRetry, { AbortError } from 'p-retry';

/**
 * True when a process with this pid exists and is not a zombie. An orphaned postmaster that has
 * exited stays a zombie until its new parent reaps it, which in a container may be never.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 is all we can know
  }
}

/** The postmaster's pid from `postmaster.pid`, if the file is there. */
export async function readPostmasterPid(clusterDir: string): Promise<number | undefined> {
  try {
    const firstLine = (await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    const pid = Number(firstLine);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the data folder for this process (an `owner.pid` file created exclusively), so two servers
 * never run one cluster. A claim whose process is gone is stale and taken over. Returns the release.
 */
export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  const ownerFile = path.join(dataDir, 'owner.pid');
  // Another process starting beside us may take a stale claim over between our look and our
  // write: then look again, a few times, with no pause (the race is settled by the exclusive create).
  return pRetry(
    async () => {
      try {
        await fs.writeFile(ownerFile, String(process.pid), { flag: 'wx' });
        return () => fs.rm(ownerFile, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new AbortError(error as Error);
        const owner = Number((await fs.readFile(ownerFile, 'utf8').catch(() => '')).trim());
        if (owner && owner !== process.pid && isProcessAlive(owner)) {
          throw new AbortError(new Error(`${dataDir} is in use by another Ordersource process (pid ${owner}); stop it or set DATA_DIR`));
        }
        await fs.rm(ownerFile, { force: true });
        throw new Error(`could not claim ${dataDir}`, { cause: error });
      }
    },
    { retries: 4, minTimeout: 0 },
  );
}
