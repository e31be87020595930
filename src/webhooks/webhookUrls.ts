import { ValidationError } from '../domain/errors.js';
import { bareHost, isBlockedAddress, resolveAll } from './webhookAddresses.js';

/** The rules an endpoint's URL must follow (from the configuration). */
export interface UrlRules {
  /** https only (unless the host is allowed by name). */
  production: boolean;
  /** Hosts (names or addresses) that may be private or loopback and use http. */
  allowedHosts: readonly string[];
}

const MAX_URL_LENGTH = 2_000;

/** True when the URL's host is listed in WEBHOOK_ALLOWED_HOSTS. */
export const isAllowedHost = (rules: Pick<UrlRules, 'allowedHosts'>, hostname: string): boolean =>
  rules.allowedHosts.includes(bareHost(hostname));

/**
 * Checks an endpoint URL when it is created or changed, with VALIDATION_FAILED on `input.url`:
 * http(s) only, no credentials, https in production, and no host that resolves to an address a
 * webhook may not reach. The same address check runs again on every connection (see guardedLookup),
 * since what a name resolves to can change after this.
 */
export async function checkEndpointUrl(text: string, rules: UrlRules): Promise<URL> {
  const fail = (message: string): never => {
    throw new ValidationError([{ path: 'input.url', message }]);
  };
  if (text.length > MAX_URL_LENGTH) fail(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('must be an http or https URL');
  if (url.username || url.password) fail('must not hold credentials (the signature authenticates us to you)');
  if (url.hash) fail('must not have a fragment');
  if (isAllowedHost(rules, url.hostname)) return url;
  if (rules.production && url.protocol !== 'https:') fail('must be https');
  const host = bareHost(url.hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) fail('must not point at this machine');
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch {
    return fail(`its host ${host} does not resolve`);
  }
  if (addresses.some(isBlockedAddress)) fail('must not resolve to a loopback, private, link-local or reserved address');
  return url;
}
