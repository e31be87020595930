import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import pg from 'pg';
import type { RunAs } from '../../src/db/embeddedBinaries.js';

/** A postmaster a test runs itself (not through the project's embedded driver), so it can stop, restart and freeze it. */
export interface PostgresLaunch {
  /** The `postgres` binary. */
  postgres: string;
  dataDir: string;
  port: number;
  /** Further arguments (`-c name=value` settings). */
  args: string[];
  /** The file its output is appended to. */
  logFile: string;
  /** A database URL it must accept a connection on before it counts as started. */
  probeUrl: string;
  /** Says which server failed, in the error when it does not start. */
  name: string;
  runAs?: RunAs;
}

/** Starts the postmaster and waits (30 s at most) until it accepts connections; fails (and stops it) if it exits or does not. */
export async function startPostmaster(launch: PostgresLaunch): Promise<ChildProcess> {
  const log = await open(launch.logFile, 'a');
  const child = spawn(launch.postgres, ['-D', launch.dataDir, '-p', String(launch.port), ...launch.args], {
    ...(launch.runAs ?? {}),
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: launch.probeUrl });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return child;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        // Not left running unseen: the caller only learns of a child that started.
        await stopPostmaster(child);
        throw new Error(`${launch.name} did not start: ${String(error)}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Fast shutdown (what `pg_ctl stop -m fast` sends), waiting until it has exited; nothing to do if it has. */
export async function stopPostmaster(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}

/**
 * The postmaster's child processes (read from /proc: no new ones fork once it is stopped), those
 * whose command line matches `title` when given.
 */
export function postmasterChildren(postmaster: number, title?: RegExp): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== postmaster) return false;
        return !title || title.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}
