import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { Config } from '../config.js';
import { UnauthenticatedError } from '../domain/errors.js';
import { ROLES, type Actor, type Authentication, type Role } from './actor.js';

type JwtConfig = Config['jwt'];

const claimsSchema = z.object({
  sub: z.string().min(1, 'has no subject').max(200),
  role: z.enum(ROLES, { message: `has no valid role (one of ${ROLES.join(', ')})` }),
});

const secretKey = (config: JwtConfig) => new TextEncoder().encode(config.secret);

/** Signs an HS256 access token for `sub` with `role` (used by `npm run token` and registration). */
export async function signAccessToken(
  claims: { sub: string; role: Role },
  config: JwtConfig,
  expiresIn: string | number = '12h',
): Promise<string> {
  let jwt = new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (config.issuer) jwt = jwt.setIssuer(config.issuer);
  if (config.audience) jwt = jwt.setAudience(config.audience);
  return jwt.sign(secretKey(config));
}

type User = Extract<Actor, { kind: 'user' }>;

// A client sends the same token with every request; verifying an HMAC costs more than the rest of
// authentication, so tokens that verified are remembered until they expire (per configuration).
const verifiedTokens = new WeakMap<JwtConfig, Map<string, { user: User; expiresAt: number }>>();
const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * Verifies a bearer token: HS256 only (so `alg: none` and key confusion are refused), signature,
 * expiry, issuer and audience when configured, and the `sub` and `role` claims.
 */
export async function verifyAccessToken(token: string, config: JwtConfig): Promise<User> {
  let remembered = verifiedTokens.get(config);
  if (!remembered) verifiedTokens.set(config, (remembered = new Map()));
  const hit = remembered.get(token);
  if (hit && hit.expiresAt > Date.now()) return hit.user;
  try {
    const { payload } = await jwtVerify(token, secretKey(config), {
      algorithms: ['HS256'],
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ['exp'],
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new UnauthenticatedError(`the token ${claims.error.issues[0]!.message}`);
    const user: User = { kind: 'user', sub: claims.data.sub, role: claims.data.role, expiresAt: payload.exp! * 1000 };
    if (remembered.size >= MAX_REMEMBERED_TOKENS) remembered.clear();
    remembered.set(token, { user, expiresAt: payload.exp! * 1000 });
    return user;
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('the token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed)
      throw new UnauthenticatedError(`the token's ${error.claim} claim is not accepted`);
    throw new UnauthenticatedError('the token is not valid');
  }
}

/**
 * Reads `Authorization: Bearer <jwt>` (HTTP header, or `authorization` in graphql-ws
 * connectionParams). No header: anonymous. A header that does not verify: refused, with the reason.
 */
export async function authenticate(authorization: unknown, config: JwtConfig): Promise<Authentication> {
  if (authorization === undefined || authorization === null || authorization === '') return { actor: { kind: 'anonymous' } };
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization.trim()) : null;
  if (!match) {
    return { actor: { kind: 'anonymous' }, refused: new UnauthenticatedError('the authorization must be "Bearer <token>"') };
  }
  try {
    return { actor: await verifyAccessToken(match[1]!, config) };
  } catch (error) {
    return { actor: { kind: 'anonymous' }, refused: error as UnauthenticatedError };
  }
}
