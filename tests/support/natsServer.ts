import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/db/freePort.js';
import { daemonProcess } from './daemonProcess.js';

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
  const port = await findFreePort();
  const store = await mkdtemp(path.join(os.tmpdir(), 'ordersource-nats-'));
  const nats = daemonProcess('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], {
    readyLine: 'Server is ready',
    packageName: 'nats-server',
    startTimeoutMs: 20_000,
  });
  await nats.start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: nats.stop,
    restart: nats.start,
    async destroy() {
      await nats.stop();
      await rm(store, { recursive: true, force: true });
    },
  };
}
