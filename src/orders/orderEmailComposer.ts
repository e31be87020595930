import { loadAggregate } from '../commands/loadAggregate.js';
import { customerAggregate, customerStreamId } from '../customers/customerDecider.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { CloudEvent } from '../integrationEvents/integrationEvents.js';
import { orderAggregate, orderStreamId } from './orderDecider.js';
import { ORDER_EMAIL_TEMPLATES, type OrderEmail } from './orderEmails.js';
import { dueAfter } from './paymentDeadline.js';

/** An email ready to send: the customer's address and name exist only here, in memory, at send time. */
export interface ComposedOrderEmail {
  to: { name: string; address: string };
  email: OrderEmail;
}

/**
 * The email a customer receives about an order event, or undefined when there is no one to send
 * it to (the customer was forgotten: their key is gone, so their address reads as nothing). The
 * order is folded up to the event itself, so a message retried later still describes the order as
 * it was then; the customer is read now, so a customer forgotten meanwhile gets nothing.
 */
export async function composeOrderEmail(
  parts: { eventStore: EventStore; paymentTimeoutSeconds: number },
  event: CloudEvent,
): Promise<ComposedOrderEmail | undefined> {
  const template = ORDER_EMAIL_TEMPLATES[event.type];
  if (!template) throw new Error(`no email template for ${event.type}`);
  const order = (await loadAggregate(parts.eventStore, orderStreamId(event.subject), orderAggregate, Number(event.sequence))).state;
  const customer = (await loadAggregate(parts.eventStore, customerStreamId(order.customerId), customerAggregate)).state;
  if (!customer.email || customer.forgotten) return undefined;
  const data = event.data as Record<string, string | number | undefined>;
  const email = template({
    orderId: order.id,
    customerName: customer.name ?? '',
    lines: order.lines,
    // While the order is SUBMITTED its last change is its submission (see paymentDueAt).
    paymentDueAt:
      typeof data.paymentDueAt === 'string'
        ? data.paymentDueAt
        : order.status === 'SUBMITTED' && parts.paymentTimeoutSeconds > 0
          ? dueAfter(order.updatedAt, parts.paymentTimeoutSeconds).toISOString()
          : undefined,
    paidCents: order.paidCents,
    paymentRef: order.paymentRef ?? undefined,
    carrier: typeof data.carrier === 'string' ? data.carrier : undefined,
    trackingNumber: typeof data.trackingNumber === 'string' ? data.trackingNumber : undefined,
    // A paid order's cancellation refunds the whole payment (the decider records the refund with it).
    refundCents: data.previousStatus === 'PAID' ? order.paidCents : undefined,
  });
  return { to: { name: customer.name ?? '', address: customer.email }, email };
}
