import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The envelope's format tag, so a later format can be told apart from this one. */
const ENVELOPE_VERSION = 'v1';

/** A sealed value could not be opened: wrong key, wrong context, or altered bytes (GCM's tag does not match). */
export class EnvelopeOpenError extends Error {
  constructor(reason: string) {
    super(`cannot open the sealed value: ${reason}`);
  }
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`: `v1.<iv>.<tag>.<ciphertext>`, base64url parts,
 * a fresh random IV each time. `context` is authenticated but not stored (GCM's additional data),
 * so a value sealed for one customer cannot be passed off as another's.
 */
export function seal(key: Buffer, plaintext: Buffer, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [ENVELOPE_VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens what {@link seal} made with the same key and context. @throws EnvelopeOpenError otherwise */
export function open(key: Buffer, envelope: string, context: string): Buffer {
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== ENVELOPE_VERSION) throw new EnvelopeOpenError('not a v1 envelope');
  const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new EnvelopeOpenError('malformed envelope');
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new EnvelopeOpenError('the key, the context or the bytes are not the ones it was sealed with');
  }
}

/**
 * The master key that wraps every data key, derived from `DATA_KEY_SECRET` with HKDF-SHA256 (the
 * secret is never used as a key itself), with its id: a fingerprint stored beside each wrapped key,
 * so that starting with another secret is detected before anything is read.
 */
export function deriveMasterKey(secret: string): { key: Buffer; id: string } {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'ordersource', 'customer data key wrapping', KEY_BYTES));
  const id = createHmac('sha256', key).update('ordersource master key id').digest('hex').slice(0, 16);
  return { key, id };
}

/** A fresh random 256-bit data key. */
export const newDataKey = (): Buffer => randomBytes(KEY_BYTES);

/** A data key encrypted under the master key, bound to its owner (a wrapped key moved to another row does not open). */
export const wrapDataKey = (masterKey: Buffer, dataKey: Buffer, owner: string): string => seal(masterKey, dataKey, `data key of ${owner}`);

/** @throws EnvelopeOpenError when the master key or the owner is not the one it was wrapped with */
export function unwrapDataKey(masterKey: Buffer, wrapped: string, owner: string): Buffer {
  const key = open(masterKey, wrapped, `data key of ${owner}`);
  if (key.length !== KEY_BYTES) throw new EnvelopeOpenError('not a 256-bit key');
  return key;
}

/** Emails are one address whatever their letter case and surrounding blanks. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * The keyed hash (HMAC-SHA256) that names an email's claim: equal for equal addresses, so uniqueness
 * holds, yet without the key nobody can test a guessed address against the log.
 */
export const emailClaimHash = (key: Buffer, email: string): string => createHmac('sha256', key).update(normaliseEmail(email)).digest('hex');
