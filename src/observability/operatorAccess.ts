import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

/**
 * Whether a request may read what is meant for operators (`/metrics`, the detail of `/ready`):
 * `granted`; `refused` (a token is required and this request lacks it); or `not-served` (in
 * production without `METRICS_TOKEN`: nobody may). Outside production everything is granted, so
 * development and tests need no token.
 */
export type OperatorAccess = 'granted' | 'refused' | 'not-served';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Decides {@link OperatorAccess} from the `Authorization: Bearer <METRICS_TOKEN>` header. */
export function operatorAccess(config: Pick<Config, 'env' | 'metricsToken'>): (request: Request) => OperatorAccess {
  if (config.env !== 'production') return () => 'granted';
  const token = config.metricsToken;
  if (token === undefined) return () => 'not-served';
  const expected = digest(`Bearer ${token}`);
  // Compared as digests in constant time: the answer's timing tells nothing about the token.
  return (request) => (timingSafeEqual(digest(request.headers.get('authorization') ?? ''), expected) ? 'granted' : 'refused');
}
