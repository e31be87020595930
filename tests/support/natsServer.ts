import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/db/freePort.js';

const NATS_SERVER = '/usr/sbin/nats-server';

/**
 * A real NATS server with JetStream (Debian's nats-server, installed by .ci/run) on a loopback
 * port, its store in a temporary folder that survives `stop()`/`restart()` (a broker restart keeps
 * its streams, as in production) and is removed by `destroy()`.
 */
export interface NatsServer {
  url: string;
  port: number;
  /** Stops it (SIGTERM) and waits for the exit; the store stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  destroy(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER))
    throw new Error(`${NATS_SERVER} is missing: install Debian's nats-server (apt-get install -y nats-server; .ci/run does)`);
  const port = await findFreePort();
  const store = await mkdtemp(path.join(os.tmpdir(), 'ordersource-nats-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    const process = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = process;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 20 s:\n${output}`)), 20_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      process.stdout!.on('data', read);
      process.stderr!.on('data', read);
      process.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${output}`));
      });
    });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    async destroy() {
      await stop();
      await rm(store, { recursive: true, force: true });
    },
  };
}
