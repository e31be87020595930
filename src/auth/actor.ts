import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';

/** `payments` is a payment provider's service token: it may record payments and nothing else. */
export const ROLES = ['customer', 'staff', 'admin', 'payments'] as const;
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

/** Any verified token, the payment service's included, or UNAUTHENTICATED. */
function requireToken(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  if ('refused' in auth) throw auth.refused;
  if (auth.actor.kind !== 'user') throw new UnauthenticatedError('sign in: send Authorization: Bearer <token>');
  return auth.actor;
}

/**
 * A customer, staff or admin, or UNAUTHENTICATED (with the token's problem when one was refused).
 * The payment service's token is FORBIDDEN here: every operation that needs identity goes through
 * this (or `requireStaff`), so that token can do nothing but what `requirePaymentRecorder` allows.
 */
export function requireUser(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  const user = requireToken(auth);
  if (user.role === 'payments') throw new ForbiddenError('the payments role may only record payments');
  return user;
}

/** Staff or admin, else FORBIDDEN (or UNAUTHENTICATED without a valid token). */
export function requireStaff(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  const user = requireUser(auth);
  if (!isStaff(user)) throw new ForbiddenError('this needs the staff role');
  return user;
}

/** Admin only; staff and customers are FORBIDDEN (or UNAUTHENTICATED without a valid token). */
export function requireAdmin(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  const user = requireStaff(auth);
  if (user.role !== 'admin') throw new ForbiddenError('this needs the admin role');
  return user;
}

/** Staff, admin or the payment service (`payments`); a customer is FORBIDDEN. */
export function requirePaymentRecorder(auth: Authentication): Extract<Actor, { kind: 'user' }> {
  const user = requireToken(auth);
  if (user.role !== 'payments' && !isStaff(user)) throw new ForbiddenError('recording a payment needs the staff or payments role');
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

/** Anyone (anonymous included) but the payment service's token, which may only record payments. */
export function requireNotPaymentService(auth: Authentication): Actor {
  const actor = requireNoRefusedToken(auth);
  if (actor.kind === 'user' && actor.role === 'payments') throw new ForbiddenError('the payments role may only record payments');
  return actor;
}

/** `role:sub` (or `system:<process>`), as recorded in event metadata. */
export const describeActor = (actor: Actor): string =>
  actor.kind === 'user' ? `${actor.role}:${actor.sub}` : actor.kind === 'system' ? `system:${actor.name}` : 'anonymous';
