/** The zod types several areas' settings share, and what the README's table reads from a setting besides its description. */
import { z } from 'zod';

declare module 'zod' {
  interface GlobalMeta {
    /** The README's "default" column for a setting without a plain default: what happens when it is unset. */
    unset?: string;
  }
}

/** The parsed values of one area's settings. */
export type SettingValues<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

export const postgresUrl = z
  .string()
  .url('must be a URL such as postgres://user:password@host:5432/database')
  .refine((url) => /^postgres(ql)?:$/.test(new URL(url).protocol), 'must start with postgres:// or postgresql://');

export const commaList = z.string().transform((list) =>
  list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** `250ms`, `5s`, `2m`, `1h`, `3d` in milliseconds (a whole number and one unit). */
const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const duration = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 250ms, 5s, 2m, 1h or 3d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    return Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  });

export const trueOrFalse = z.enum(['true', 'false'], { message: 'must be true or false' });
