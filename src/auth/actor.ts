import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';

export const ROLES = ['customer', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling: a verified token's subject and role, nobody, or the service itself (a process
 * such as the payment deadlines, which no token can claim to be).
 */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'user'; sub: string; role: Role; /** When the token expires (ms since epoch). */ expiresAt?: number }
  | { kind: 'system'; name: string };

/**
 * The caller of one request: the actor, or why their credentials were refused. A refused token is
 * not treated as anonymous: every operation that needs identity answers UNAUTHENTICATED with the reason.
 */
export type Authentication = { actor: Actor } | { actor: { kind: 'anonymous' }; refused: UnauthenticatedError };

export const isStaff = (actor: Actor): boolean => actor.kind === 'user' && (actor.role === 'staff' || actor.role === 'admin');

/** The authenticated user, or UNAUTHENTICATED (with the token's problem when one was refused). */
export function requireUser(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  if ('refused' in auth) throw auth.refused;
  if (auth.actor.kind !== 'user') throw new UnauthenticatedError('sign in: send Authorization: Bearer <token>');
  return auth.actor;
}

/** Staff or admin, else FORBIDDEN (or UNAUTHENTICATED without a valid token). */
export function requireStaff(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  const user = requireUser(auth);
  if (!isStaff(user)) throw new ForbiddenError('this needs the staff role');
  return user;
}

/** The service's own processes only: no token grants this, so no client can issue such a command. */
export function requireSystem(auth: Authentication): Extract<Actor, { kind: 'system' }> {
  if (auth.actor.kind !== 'system') throw new ForbiddenError('only the service itself may do this');
  return auth.actor;
}

/** Rejects a refused token even where anonymous callers are welcome. */
export function requireNoRefusedToken(auth: Authentication): Actor {
  if ('refused' in auth) throw auth.refused;
  return auth.actor;
}

/** `role:sub` (or `system:<process>`), as recorded in event metadata. */
export const describeActor = (actor: Actor): string =>
  actor.kind === 'user' ? `${actor.role}:${actor.sub}` : actor.kind === 'system' ? `system:${actor.name}` : 'anonymous';
