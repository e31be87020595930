import { z } from 'zod';
import { commaList, duration, type SettingValues } from './settingTypes.js';

/** Integration events and their deliveries: retries, webhooks, the event bus, customer emails. */
export const reactionSettings = {
  EVENTS_SOURCE: z.string().min(1).default('urn:ordersource').describe('the CloudEvents `source` of every integration event'),
  REACTION_RETRY_SCHEDULE: z
    .string()
    .default('5s,30s,2m,10m,30m,1h,2h,4h,8h,8h')
    .transform((list) => list.split(','))
    .pipe(z.array(duration).max(100, 'must list at most 100 delays'))
    .describe(
      'delays between the attempts of one message (`ms`, `s`, `m`, `h`, `d`): the first attempt, then one retry after each (each spread by up to a fifth either way), then it is `DEAD`; the default spans about a day',
    ),
  REACTION_DISABLE_AFTER: z
    .string()
    .default('3d')
    .pipe(duration)
    .describe(
      'a reaction target (a webhook endpoint, the event bus, customer emails) that has failed every attempt for this long is disabled, with `disabledReason`; enabling it resumes where it stopped',
    ),
  REACTION_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(8)
    .describe(
      "streams of one target attempted at once (each process claims at most this many, and no more than the target's free slots across processes); the event bus, a broker built for the load, takes 64 regardless",
    ),
  WEBHOOK_ALLOWED_HOSTS: commaList
    .pipe(z.array(z.string().toLowerCase()))
    .optional()
    .describe(
      'comma-separated hosts or addresses a webhook endpoint may use although they are loopback or private, and over `http` even in production (how tests and private networks opt in)',
    ),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('an attempt at a webhook not answered within this long fails and is retried'),
  EVENT_BUS_URL: z
    .string()
    .url('must be a URL such as nats://127.0.0.1:4222')
    .refine((url) => new URL(url).protocol === 'nats:', 'must start with nats://')
    .optional()
    .meta({ unset: 'unset (bus off)' })
    .describe(
      '`nats://host:port`: publish every integration event to a NATS JetStream stream (see [Event bus](#event-bus-nats-jetstream))',
    ),
  // A JetStream stream name: no spaces, dots, wildcards or path separators.
  EVENT_BUS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
    .default('ORDERSOURCE')
    .describe('the JetStream stream published to; created with subjects `ordersource.>` when absent'),
  SMTP_URL: z
    .string()
    .url('must be a URL such as smtp://user:password@mail.example.com:587')
    .refine((url) => /^smtps?:$/.test(new URL(url).protocol), 'must start with smtp:// or smtps://')
    .optional()
    .meta({ unset: 'unset (emails off)' })
    .describe(
      '`smtp://user:password@host:port` or `smtps://…`: email customers about their orders (see [Customer emails](#customer-emails))',
    ),
  MAIL_FROM: z
    .string()
    .trim()
    .regex(/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/, 'must be an address such as orders@shop.example or Shop <orders@shop.example>')
    .optional()
    .describe(
      "the From of customers' emails, e.g. `Shop <orders@shop.example>`; required with `SMTP_URL`; its domain ends every Message-ID",
    ),
};

/** The part of `Config` these settings make. */
export function reactionConfig(v: SettingValues<typeof reactionSettings>) {
  return {
    eventsSource: v.EVENTS_SOURCE,
    reactions: {
      retryScheduleMs: v.REACTION_RETRY_SCHEDULE,
      disableAfterMs: v.REACTION_DISABLE_AFTER,
      concurrency: v.REACTION_CONCURRENCY,
    },
    webhooks: { allowedHosts: v.WEBHOOK_ALLOWED_HOSTS ?? [], timeoutMs: v.WEBHOOK_TIMEOUT_MS },
    /** With `url`, every integration event is published to the JetStream stream `stream` (created when absent). */
    eventBus: { url: v.EVENT_BUS_URL, stream: v.EVENT_BUS_STREAM },
    /** With `smtpUrl`, customers are emailed about their orders, from `from`. */
    mail: { smtpUrl: v.SMTP_URL, from: v.MAIL_FROM },
  };
}
