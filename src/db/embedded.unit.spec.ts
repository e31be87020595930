import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageShortage } from './postgresLog.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ordersource-shortage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const PANIC = [
  '2026-01-01 10:00:00.000 UTC [42] PANIC:  could not write to file "pg_wal/xlogtemp.42": No space left on device',
  '2026-01-01 10:00:00.001 UTC [1] LOG:  startup process (PID 42) was terminated by signal 6: Aborted',
].join('\n');

describe('telling that PostgreSQL stopped for lack of space', () => {
  it('finds it in the log written since the start that failed', async () => {
    const log = path.join(dir, 'postgres.log');
    await writeFile(log, `LOG:  database system is ready to accept connections\n${PANIC}\n`);
    expect(await storageShortage(log, 0, dir)).toContain('No space left on device');
  });

  it('ignores out-of-space words logged before that start, with room to spare on the disk', async () => {
    const log = path.join(dir, 'postgres.log');
    const earlier = `${PANIC}\n`;
    await writeFile(log, `${earlier}LOG:  startup process (PID 43) exited with exit code 1\n`);
    expect(await storageShortage(log, Buffer.byteLength(earlier), dir)).toBeUndefined();
  });
});
