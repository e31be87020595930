import type { OrderStatus } from './orderEvents.js';

/** The system actor that expires unpaid orders (`metadata.actor` is `system:payment-deadlines`). */
export const PAYMENT_DEADLINES_ACTOR = { kind: 'system', name: 'payment-deadlines' } as const;

/**
 * The command id of an order's expiry: one per order, so however many processes or retries fire
 * the same deadline, the pipeline appends OrderExpired at most once and answers repeats with it.
 */
export const expiryCommandId = (orderId: string): string => `payment-deadline:${orderId}`;

/**
 * When a submitted order must be paid by: `timeoutSeconds` after its submission. While an order is
 * SUBMITTED no event but a status change can happen to it, so its last change (`updatedAt`) is its
 * submission; any other status has no deadline, nor does any order with deadlines off (0).
 */
export function paymentDueAt(order: { status: OrderStatus; updatedAt: string }, timeoutSeconds: number): string | null {
  if (order.status !== 'SUBMITTED' || timeoutSeconds <= 0) return null;
  return dueAfter(order.updatedAt, timeoutSeconds).toISOString();
}

/** `timeoutSeconds` after `submittedAt`. */
export function dueAfter(submittedAt: string | Date, timeoutSeconds: number): Date {
  return new Date(new Date(submittedAt).getTime() + timeoutSeconds * 1000);
}
