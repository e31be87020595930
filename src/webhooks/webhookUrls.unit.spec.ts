import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.js';
import { isBlockedAddress } from './webhookAddresses.js';
import { checkEndpointUrl } from './webhookUrls.js';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.8',
    '172.20.1.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '[::1]',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
  ])('blocks %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('lets %s through', (address) =>
    expect(isBlockedAddress(address)).toBe(false),
  );
});

describe('checkEndpointUrl', () => {
  const rules = { production: true, allowedHosts: ['127.0.0.1', 'hooks.internal'] };
  const refusal = (url: string, options = rules) =>
    checkEndpointUrl(url, options).then(
      () => undefined,
      (error: unknown) => (error instanceof ValidationError ? error.fieldErrors[0]!.message : String(error)),
    );

  it('refuses plain http in production unless the host is allowed', async () => {
    expect(await refusal('http://93.184.216.34/hook')).toBe('must be https');
    expect(await refusal('http://127.0.0.1:8080/hook')).toBeUndefined();
    expect(await refusal('http://93.184.216.34/hook', { ...rules, production: false })).toBeUndefined();
  });

  it('refuses other schemes, credentials and fragments', async () => {
    expect(await refusal('ftp://93.184.216.34/hook')).toBe('must be an http or https URL');
    expect(await refusal('javascript:alert(1)')).toBe('must be an http or https URL');
    expect(await refusal('https://a:b@93.184.216.34/hook')).toMatch(/credentials/);
    expect(await refusal('https://93.184.216.34/hook#x')).toBe('must not have a fragment');
  });

  it('refuses literal private addresses and names of this machine, but not an allowed name', async () => {
    expect(await refusal('https://169.254.169.254/')).toMatch(/link-local/);
    expect(await refusal('https://[fd00::1]/')).toMatch(/private/);
    expect(await refusal('https://api.localhost/')).toBe('must not point at this machine');
    expect(await refusal('http://hooks.internal/x')).toBeUndefined();
  });
});
