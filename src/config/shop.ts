import { z } from 'zod';
import type { SettingValues } from './settingTypes.js';

/** The shop's own rules: how long an order may stay unpaid, the currency amounts are shown in. */
export const shopSettings = {
  // Up to a year: beyond that a deadline is no deadline, and the timer's arithmetic stays exact.
  PAYMENT_TIMEOUT_SECONDS: z.coerce
    .number()
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 (off) or more')
    .max(31_536_000, 'must be at most 31536000 (a year)')
    .default(1_800)
    .describe(
      'how long after submission an unpaid order expires and its stock is released (0 to 31536000); `0` turns payment deadlines off',
    ),
  // Amounts are whole cents everywhere in the API; the currency only labels them on the dashboard.
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR or USD')
    .default('EUR')
    .describe('the ISO 4217 currency the dashboard shows amounts in (the API itself speaks cents only)'),
};

/** The part of `Config` these settings make. */
export function shopConfig(v: SettingValues<typeof shopSettings>) {
  return {
    paymentTimeoutSeconds: v.PAYMENT_TIMEOUT_SECONDS,
    currency: v.CURRENCY,
  };
}
