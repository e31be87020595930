import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../src/db/freePort.js';

// `npm start` as the README has people run it, and `kill <its pid>` as the way to stop it: npm
// passes the signal to its child only, so that child must be the server itself.

const dataDir = mkdtempSync(join(tmpdir(), 'ordersource-npm-start-'));
// Run as root, PostgreSQL runs as the `postgres` user, who must reach the folder (mkdtemp makes it 0700).
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('stops, with its embedded PostgreSQL, when the npm process is sent SIGTERM', async () => {
    const port = await findFreePort();
    const npm = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'development' },
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string>((resolve) => npm.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    // A fresh cluster is initialised first (initdb), which takes a while on a busy machine.
    await expect.poll(() => output, { timeout: 120_000, interval: 200 }).toContain('Ordersource is listening');
    const serverPid = (JSON.parse(output.split('\n').find((line) => line.includes('Ordersource is listening'))!) as { pid: number }).pid;
    const postgresPid = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(alive(serverPid) && alive(postgresPid)).toBe(true);

    npm.kill('SIGTERM');
    await exited;
    await expect.poll(() => [alive(serverPid), alive(postgresPid)], { timeout: 30_000 }).toEqual([false, false]);
  }, 150_000);
});
