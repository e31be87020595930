import { z } from 'zod';
import type { SettingValues } from './settingTypes.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Logs, readiness and metrics. */
export const observabilitySettings = {
  LOG_LEVEL: z.enum(logLevels).default('info').describe('pino level (`silent` … `trace`)'),
  READY_MAX_PROJECTION_LAG: z.coerce
    .number()
    .int()
    .min(0)
    .default(1_000)
    .describe('`GET /ready` answers 503 while a projection is more log positions than this behind the head'),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .meta({ unset: 'unset (production: `/metrics` not served)' })
    .describe(
      'in production, `/metrics` and the detail of `/ready` answer only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise; `/ready` without it answers `{"ready": true|false}` alone, for load balancers). Unset in production: `/metrics` answers 404. Outside production both are open',
    ),
};

/** The part of `Config` these settings make. */
export function observabilityConfig(v: SettingValues<typeof observabilitySettings>) {
  return {
    logLevel: v.LOG_LEVEL,
    readyMaxProjectionLag: v.READY_MAX_PROJECTION_LAG,
    /** In production, what `/metrics` and the detail of `/ready` require as a bearer token (unset: not served). */
    metricsToken: v.METRICS_TOKEN,
  };
}
