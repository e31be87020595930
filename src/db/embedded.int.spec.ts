import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded.js';
import { isProcessAlive, readPostmasterPid } from './embeddedLocks.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-embedded-'));
  await chmod(dataDir, 0o755);
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

async function query(connectionString: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client(connectionString);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Runs the fixture that starts the cluster in `dataDir`, commits a row and waits to be killed. */
async function startHolder(options: { detached: boolean }) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/holdEmbeddedPostgres.ts', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: options.detached,
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
    child.on('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
  });
  return child;
}

describe('embedded PostgreSQL', () => {
  it('initialises a cluster on first start and answers queries on 127.0.0.1', async () => {
    const db = await startEmbeddedPostgres({ dataDir });
    try {
      expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
      expect(db.connectionString()).toContain('@127.0.0.1:');
      const { rows } = await query(db.connectionString(), 'SHOW server_version');
      expect(rows[0].server_version).toMatch(/^\d+/);
    } finally {
      await db.stop();
    }
  });

  it('keeps committed data across a stop and a restart', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    await query(first.connectionString(), `CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)`);
    await first.stop();
    expect(await readPostmasterPid(path.join(dataDir, 'pg'))).toBeUndefined();

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      expect((await query(second.connectionString(), 'SELECT v FROM kept')).rows).toEqual([{ v: 42 }]);
    } finally {
      await second.stop();
    }
  });

  it('refuses to start a second server on a data folder that a live process is using', async () => {
    const db = await startEmbeddedPostgres({ dataDir });
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/fixtures/holdEmbeddedPostgres.ts', dataDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(exitCode).not.toBe(0);
      expect(stderr).toContain(`is in use by another Ordersource process (pid ${process.pid})`);
      expect((await query(db.connectionString(), 'SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await db.stop();
    }
  });

  it('recovers a cluster left running by a process killed with SIGKILL, keeping its committed data', async () => {
    const child = await startHolder({ detached: false });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const orphan = await readPostmasterPid(path.join(dataDir, 'pg'));
    expect(orphan).toBeDefined();
    expect(isProcessAlive(orphan!)).toBe(true);

    const db = await startEmbeddedPostgres({ dataDir });
    try {
      expect(isProcessAlive(orphan!)).toBe(false);
      const { rows } = await query(db.connectionString(), 'SELECT note FROM marks');
      expect(rows).toEqual([{ note: 'committed before kill -9' }]);
    } finally {
      await db.stop();
    }
  });

  it('recovers after SIGKILL of the whole process group, PostgreSQL included, keeping committed data', async () => {
    const child = await startHolder({ detached: true });
    const postmaster = await readPostmasterPid(path.join(dataDir, 'pg'));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 100 && isProcessAlive(postmaster!); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isProcessAlive(postmaster!)).toBe(false);

    const db = await startEmbeddedPostgres({ dataDir });
    try {
      const { rows } = await query(db.connectionString(), 'SELECT note FROM marks');
      expect(rows).toEqual([{ note: 'committed before kill -9' }]);
    } finally {
      await db.stop();
    }
  });
});
