/**
 * Every setting the server reads from its environment, declared once, by area in `src/config/`.
 *
 * To add a setting:
 *   1. add one entry to its area's settings in `src/config/` (`database.ts`, `requestLimits.ts`, …):
 *      its zod type, its `.default(...)` (or `.optional()`), and a `.describe('...')` saying what it
 *      does, written for the README's reader. When the setting has no plain default,
 *      `.meta({ unset: '...' })` says what happens without it;
 *   2. read it in that area's `…Config` function under the name the code uses (the `Config` type
 *      follows from there);
 *   3. run `npm run config:table`, which rewrites the README's configuration table from `settings`
 *      (`tests/configTable.unit.spec.ts` fails while the README's table is stale).
 * Entries appear in the README in the order of the areas below, then as each area declares them.
 */
import { z } from 'zod';
import { callerLimitConfig, callerLimitSettings } from './config/callerLimits.js';
import { databaseConfig, databaseSettings } from './config/database.js';
import { observabilityConfig, observabilitySettings } from './config/observability.js';
import { projectionConfig, projectionSettings } from './config/projections.js';
import { reactionConfig, reactionSettings } from './config/reactions.js';
import { requestLimitConfig, requestLimitSettings } from './config/requestLimits.js';
import { secretConfig, secretSettings } from './config/secrets.js';
import { serverConfig, serverSettings } from './config/server.js';
import { shopConfig, shopSettings } from './config/shop.js';
import { webSocketConfig, webSocketSettings } from './config/webSockets.js';

export { DEVELOPMENT_DATA_KEY_SECRET, DEVELOPMENT_JWT_SECRET } from './config/secrets.js';

/** The environment variables, in the README's order. */
export const settings = z.object({
  ...serverSettings,
  ...databaseSettings,
  ...secretSettings,
  ...observabilitySettings,
  ...projectionSettings,
  ...webSocketSettings,
  ...requestLimitSettings,
  ...callerLimitSettings,
  ...shopSettings,
  ...reactionSettings,
});

/** The parsed environment, before it takes the shape the code reads. */
type Settings = z.output<typeof settings>;

/** The shape the code reads: grouped where settings belong together, with the defaults that depend on others filled in. */
function toConfig(v: Settings) {
  return {
    ...serverConfig(v),
    ...databaseConfig(v),
    ...secretConfig(v),
    ...observabilityConfig(v),
    ...projectionConfig(v),
    ...webSocketConfig(v),
    ...requestLimitConfig(v),
    ...callerLimitConfig(v),
    ...shopConfig(v),
    ...reactionConfig(v),
  };
}

/** Fields that may be `undefined` become optional ones, so a test can write a config part without them. */
type OptionalWhenUndefined<T> = T extends readonly unknown[] | string | number | boolean
  ? T
  : { [K in keyof T as undefined extends T[K] ? K : never]?: OptionalWhenUndefined<Exclude<T[K], undefined>> } & {
      [K in keyof T as undefined extends T[K] ? never : K]: OptionalWhenUndefined<T[K]>;
    };

/** Validated configuration: what each field means is the `.describe()` of the setting it is read from. */
export type Config = OptionalWhenUndefined<ReturnType<typeof toConfig>>;

/** Thrown with one line per invalid variable, so a bad deployment says exactly what to fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (empty strings count as unset). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = settings.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const v = parsed.data;
  if (v.PROJECTIONS && v.RUN_PROJECTIONS === 'false') {
    throw new ConfigError(['PROJECTIONS: names projections to run, but RUN_PROJECTIONS=false runs none: set one or the other']);
  }
  if (v.NODE_ENV === 'production' && !v.JWT_SECRET) {
    throw new ConfigError(['JWT_SECRET: is required when NODE_ENV=production']);
  }
  if (v.NODE_ENV === 'production' && !v.DATA_KEY_SECRET) {
    throw new ConfigError(['DATA_KEY_SECRET: is required when NODE_ENV=production']);
  }
  if (v.SMTP_URL && !v.MAIL_FROM) {
    throw new ConfigError(["MAIL_FROM: is required when SMTP_URL is set (the address customers' emails come from)"]);
  }
  return toConfig(v);
}

/**
 * Checks `PROJECTIONS` against the names of the service's projections (the config alone does not
 * know them): an unknown or misspelt name fails the start instead of leaving a read model unbuilt.
 */
export function checkProjectionNames(config: Pick<Config, 'projections'>, known: readonly string[]): void {
  const unknown = (config.projections ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError([
      `PROJECTIONS: unknown projection ${unknown.map((n) => `"${n}"`).join(', ')}; the projections are ${known.join(', ')}`,
    ]);
  }
}
