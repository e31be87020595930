import { describe, expect, it } from 'vitest';
import {
  deriveMasterKey,
  emailClaimHash,
  EnvelopeOpenError,
  newDataKey,
  open,
  seal,
  unwrapDataKey,
  wrapDataKey,
} from './personalDataCipher.js';
import { openPersonal, sealPersonal } from './personalDataReads.js';

const ada = { name: 'Ada Lovelace', email: 'Ada@Example.com' };

describe('the AES-256-GCM envelope', () => {
  it('opens what it sealed with the same key and context, and never shows the plaintext', () => {
    const key = newDataKey();
    const envelope = seal(key, Buffer.from('Ada Lovelace'), 'ctx');
    expect(envelope).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    // Neither as text nor encoded in any part (a random ciphertext may hold 'ada' by chance, about
    // once in 600 envelopes, so the check is for the whole plaintext, not a few letters of it).
    expect(envelope).not.toContain('Lovelace');
    for (const part of envelope.split('.').slice(1)) expect(Buffer.from(part, 'base64url').includes('Ada Lovelace')).toBe(false);
    expect(envelope).not.toContain(Buffer.from('Ada Lovelace').toString('base64url'));
    expect(open(key, envelope, 'ctx').toString()).toBe('Ada Lovelace');
  });

  it('seals the same plaintext differently each time (a fresh IV)', () => {
    const key = newDataKey();
    expect(seal(key, Buffer.from('x'), 'ctx')).not.toBe(seal(key, Buffer.from('x'), 'ctx'));
  });

  it('refuses another key, another context, an altered ciphertext or a malformed envelope', () => {
    const key = newDataKey();
    const envelope = seal(key, Buffer.from('Ada Lovelace'), 'ctx');
    expect(() => open(newDataKey(), envelope, 'ctx')).toThrow(EnvelopeOpenError);
    expect(() => open(key, envelope, 'other')).toThrow(EnvelopeOpenError);
    const parts = envelope.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => open(key, [...parts.slice(0, 3), flipped.toString('base64url')].join('.'), 'ctx')).toThrow(EnvelopeOpenError);
    expect(() => open(key, 'v1.abc', 'ctx')).toThrow(EnvelopeOpenError);
    expect(() => open(key, 'v2.a.b.c', 'ctx')).toThrow(EnvelopeOpenError);
  });
});

describe('data key wrapping', () => {
  it('derives the same master key and id from the same secret, and others from another', () => {
    const a = deriveMasterKey('s'.repeat(32));
    expect(deriveMasterKey('s'.repeat(32))).toEqual(a);
    expect(a.key).toHaveLength(32);
    expect(deriveMasterKey('t'.repeat(32)).id).not.toBe(a.id);
  });

  it('unwraps a data key with the master key and owner it was wrapped with, and with nothing else', () => {
    const master = deriveMasterKey('s'.repeat(32)).key;
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(master, dataKey, 'customer:c1');
    expect(wrapped).not.toContain(dataKey.toString('base64url'));
    expect(unwrapDataKey(master, wrapped, 'customer:c1').equals(dataKey)).toBe(true);
    expect(() => unwrapDataKey(deriveMasterKey('t'.repeat(32)).key, wrapped, 'customer:c1')).toThrow(EnvelopeOpenError);
    expect(() => unwrapDataKey(master, wrapped, 'customer:c2')).toThrow(EnvelopeOpenError);
  });
});

describe('sealed personal data', () => {
  it("opens with its customer's key as that customer only", () => {
    const key = newDataKey();
    const sealed = sealPersonal(key, 'c1', ada);
    // The whole values, not a few letters of them: a random ciphertext holds 'ada' by chance about
    // once in 500 runs, which failed CI.
    const text = JSON.stringify(sealed).toLowerCase();
    for (const value of ['ada lovelace', 'lovelace', 'ada@example.com', 'example.com']) expect(text).not.toContain(value);
    expect(openPersonal(key, 'c1', sealed)).toEqual(ada);
    expect(() => openPersonal(key, 'c2', sealed)).toThrow(EnvelopeOpenError);
  });
});

describe('emailClaimHash', () => {
  it('is one hash per address whatever its case and surrounding blanks, depends on the key, and hides the address', () => {
    const key = newDataKey();
    expect(emailClaimHash(key, ' Ada@Example.COM ')).toBe(emailClaimHash(key, 'ada@example.com'));
    expect(emailClaimHash(key, 'ada@example.com')).toMatch(/^[0-9a-f]{64}$/);
    expect(emailClaimHash(key, 'ada@example.org')).not.toBe(emailClaimHash(key, 'ada@example.com'));
    expect(emailClaimHash(newDataKey(), 'ada@example.com')).not.toBe(emailClaimHash(key, 'ada@example.com'));
  });
});
