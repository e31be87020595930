import { hkdfSync, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { open, seal } from '../customers/personalDataCipher.js';

/** How long a rotated-out secret keeps signing beside the new one, so receivers can switch over. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** Opened secrets kept at most (two per endpoint while a rotation overlaps). */
const MAX_OPENED = 2_000;

/** A signing secret as stored: sealed, and when it stops signing (none: the current one). */
export interface StoredSecret {
  sealed: string;
  expiresAt: string | null;
}

/** A fresh Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Seals and opens endpoints' signing secrets. They are kept encrypted (AES-256-GCM, the same
 * envelope as customers' personal data) under a key derived from DATA_KEY_SECRET for this purpose
 * alone, so a database dump does not let anyone sign messages our receivers would trust.
 */
export class WebhookSecretBox {
  private readonly key: Buffer;
  /**
   * Secrets already opened, by endpoint and sealed form: every run of deliveries reads its endpoint's
   * secrets, and opening them (AES-GCM) each time was a visible share of a delivery's CPU.
   */
  private readonly opened = new Map<string, string>();

  constructor(dataKeySecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(dataKeySecret, 'utf8'), 'ordersource', 'webhook signing secrets', 32));
  }

  seal(endpointId: string, secret: string, expiresAt: Date | null = null): StoredSecret {
    return {
      sealed: seal(this.key, Buffer.from(secret, 'utf8'), `webhook secret of ${endpointId}`),
      expiresAt: expiresAt?.toISOString() ?? null,
    };
  }

  /** The secrets that sign now (the current one, and one rotated out less than a day ago). */
  signingSecrets(endpointId: string, stored: readonly StoredSecret[], now = new Date()): string[] {
    return stored
      .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime())
      .map((s) => this.open(endpointId, s.sealed));
  }

  private open(endpointId: string, sealed: string): string {
    // Keyed with the endpoint too: a sealed secret opens only for the endpoint it was sealed for.
    const key = `${endpointId} ${sealed}`;
    const cached = this.opened.get(key);
    if (cached !== undefined) return cached;
    const secret = open(this.key, sealed, `webhook secret of ${endpointId}`).toString('utf8');
    // Bounded: endpoints come and go, and each rotation seals a new secret.
    if (this.opened.size >= MAX_OPENED) this.opened.clear();
    this.opened.set(key, secret);
    return secret;
  }

  /** The stored secrets after a rotation: the new one first, the others signing for one more day at most. */
  rotate(endpointId: string, stored: readonly StoredSecret[], newSecret: string, now = new Date()): StoredSecret[] {
    const overlapEnd = new Date(now.getTime() + ROTATION_OVERLAP_MS);
    const kept = stored
      .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime())
      .map((s) => ({ sealed: s.sealed, expiresAt: s.expiresAt ?? overlapEnd.toISOString() }));
    return [this.seal(endpointId, newSecret), ...kept];
  }
}

/** Signs messages with some secrets: the Standard Webhooks headers of one message. */
export type WebhookSigner = (messageId: string, body: string, at?: Date) => Record<string, string>;

/** A signer for these secrets (each decoded once, for every message it then signs). */
export function webhookSigner(secrets: readonly string[]): WebhookSigner {
  const keys = secrets.map((secret) => new Webhook(secret));
  return (messageId, body, at = new Date()) => ({
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
    'webhook-signature': keys.map((key) => key.sign(messageId, at, body)).join(' '),
  });
}

/** The Standard Webhooks headers of one message: a `v1,` signature per secret, space-separated. */
export function signedHeaders(messageId: string, body: string, secrets: readonly string[], at = new Date()): Record<string, string> {
  return webhookSigner(secrets)(messageId, body, at);
}
