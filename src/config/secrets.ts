import { z } from 'zod';
import type { SettingValues } from './settingTypes.js';

/** The development JWT secret used when `JWT_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_JWT_SECRET = 'ordersource-development-secret-do-not-use-in-production';

/** The development master secret of customers' data keys when `DATA_KEY_SECRET` is unset; `main.ts` warns loudly about it. */
export const DEVELOPMENT_DATA_KEY_SECRET = 'ordersource-development-data-key-secret-do-not-use-in-production';

/** The keys that sign tokens and wrap customers' data keys. */
export const secretSettings = {
  JWT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (HS256 key)')
    .optional()
    .meta({ unset: 'development secret (logged loudly)' })
    .describe('HS256 key, 32+ characters; required when `NODE_ENV=production`'),
  DATA_KEY_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (the master key of customers' data keys is derived from it)")
    .optional()
    .meta({ unset: 'development secret (logged loudly)' })
    .describe(
      "32+ characters; the master key that wraps every customer's data key is derived from it (HKDF-SHA256); required when `NODE_ENV=production`. A server started with another secret than the stored keys were wrapped with refuses to start",
    ),
  JWT_ISSUER: z.string().min(1).optional().describe("the tokens' issuer (`iss`), checked when set"),
  JWT_AUDIENCE: z.string().min(1).optional().describe("the tokens' audience (`aud`), checked when set"),
};

/** The part of `Config` these settings make. */
export function secretConfig(v: SettingValues<typeof secretSettings>) {
  return {
    jwt: {
      secret: v.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
      isDevelopmentSecret: !v.JWT_SECRET,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
    dataKeys: { secret: v.DATA_KEY_SECRET ?? DEVELOPMENT_DATA_KEY_SECRET, isDevelopmentSecret: !v.DATA_KEY_SECRET },
  };
}
