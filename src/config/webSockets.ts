import { z } from 'zod';
import type { SettingValues } from './settingTypes.js';

/** What one WebSocket, one client address and one process may hold of the live feed. */
export const webSocketSettings = {
  WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .default(4 * 1024 * 1024)
    .describe('unsent bytes after which a WebSocket is closed as a slow consumer (1013)'),
  WS_MAX_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe(
      'subscriptions one WebSocket may hold open at once; beyond it a subscribe gets an error with `TOO_MANY_SUBSCRIPTIONS` (the socket and its other subscriptions go on)',
    ),
  WS_SUBSCRIBES_PER_SECOND: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(20)
    .describe(
      'subscribes per WebSocket: a token bucket of `WS_SUBSCRIBE_BURST` refilled at this rate (a client resubscribing its whole cap after a reconnect fits); beyond it `RATE_LIMITED` with `retryAfterSeconds`, whether or not the earlier ones were already completed',
    ),
  WS_SUBSCRIBE_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .describe('subscribes one WebSocket may make at once before `WS_SUBSCRIBES_PER_SECOND` paces it'),
  WS_MAX_STARTING_SUBSCRIPTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(4)
    .describe(
      'subscriptions of one WebSocket reading their first state or replay at once (each takes a pool connection); the others wait their turn',
    ),
  WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(8)
    .describe(
      "subscriptions reading their first state or replay at once across all of a process's WebSockets, so that many sockets together (one client's or many) cannot take the pool; the others wait their turn",
    ),
  WS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(50)
    .describe(
      "WebSockets one client address may hold open at once; one more is closed with code `4429`. The address is the peer's: behind a proxy, the proxy's",
    ),
};

/** The part of `Config` these settings make. */
export function webSocketConfig(v: SettingValues<typeof webSocketSettings>) {
  return {
    wsMaxBufferedBytes: v.WS_MAX_BUFFERED_BYTES,
    wsSubscriptions: {
      maxSubscriptions: v.WS_MAX_SUBSCRIPTIONS,
      subscribesPerSecond: v.WS_SUBSCRIBES_PER_SECOND,
      subscribeBurst: v.WS_SUBSCRIBE_BURST,
      maxStarting: v.WS_MAX_STARTING_SUBSCRIPTIONS,
      maxStartingPerProcess: v.WS_MAX_STARTING_SUBSCRIPTIONS_PER_PROCESS,
    },
    wsMaxConnectionsPerAddress: v.WS_MAX_CONNECTIONS_PER_ADDRESS,
  };
}
