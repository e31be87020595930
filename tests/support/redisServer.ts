import { findFreePort } from '../../src/db/freePort.js';
import { daemonProcess } from './daemonProcess.js';

/** A real Redis (Debian's redis-server, installed by .ci/run) on a loopback port, without persistence. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops it (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await findFreePort();
  const redis = daemonProcess(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      readyLine: 'Ready to accept connections',
      packageName: 'redis-server',
      startTimeoutMs: 10_000,
    },
  );
  await redis.start();
  return { url: `redis://127.0.0.1:${port}`, port, stop: redis.stop, restart: redis.start };
}
