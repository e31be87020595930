import escapeHtml from 'escape-html';
import type { OrderLine } from './orderEvents.js';
import { lineTotalCents, orderTotalCents } from './orderLines.js';

/** One email to a customer about their order, in plain text and HTML. */
export interface OrderEmail {
  subject: string;
  text: string;
  html: string;
}

/** What the templates may say: the order as of the event, and the event's own facts. */
export interface OrderEmailFacts {
  orderId: string;
  customerName: string;
  lines: readonly OrderLine[];
  /** When a submitted order must be paid by (none when deadlines are off). */
  paymentDueAt?: string;
  paidCents?: number;
  paymentRef?: string;
  carrier?: string;
  trackingNumber?: string;
  /** What a cancellation gives back (a paid order's cancellation refunds the payment). */
  refundCents?: number;
}

const money = (cents: number): string => (cents / 100).toFixed(2);

function linesText(lines: readonly OrderLine[]): string {
  const rows = lines.map((l) => `  ${l.quantity} x ${l.name} (${l.sku}) at ${money(l.unitPriceCents)} = ${money(lineTotalCents(l))}`);
  return [...rows, `  Total: ${money(orderTotalCents(lines))}`].join('\n');
}

function linesHtml(lines: readonly OrderLine[]): string {
  const rows = lines.map(
    (l) =>
      `<tr><td>${l.quantity}</td><td>${escapeHtml(l.name)} (${escapeHtml(l.sku)})</td><td>${money(l.unitPriceCents)}</td><td>${money(lineTotalCents(l))}</td></tr>`,
  );
  return `<table><tr><th>Qty</th><th>Item</th><th>Unit price</th><th>Amount</th></tr>${rows.join('')}<tr><td colspan="3">Total</td><td>${money(orderTotalCents(lines))}</td></tr></table>`;
}

/** Text and HTML from the same paragraphs (each a line of text, or the lines table), every value escaped in the HTML. */
function email(subject: string, facts: OrderEmailFacts, paragraphs: (string | 'LINES')[]): OrderEmail {
  const greeting = `Hello ${facts.customerName},`;
  const closing = `Order ${facts.orderId}`;
  const text = [greeting, ...paragraphs.map((p) => (p === 'LINES' ? linesText(facts.lines) : p)), closing].join('\n\n') + '\n';
  const html = [greeting, ...paragraphs, closing]
    .map((p) => (p === 'LINES' ? linesHtml(facts.lines) : `<p>${escapeHtml(p)}</p>`))
    .join('\n');
  return { subject, text, html: `<!doctype html><html><body>\n${html}\n</body></html>\n` };
}

/** One template per integration event a customer is emailed about. */
export const ORDER_EMAIL_TEMPLATES: Record<string, (facts: OrderEmailFacts) => OrderEmail> = {
  'ordersource.order.submitted.v1': (f) =>
    email(`We received your order ${f.orderId}`, f, [
      'Thank you for your order. Here is what you ordered:',
      'LINES',
      f.paymentDueAt ? `Please pay by ${f.paymentDueAt}; an unpaid order expires then.` : 'We will let you know when your payment arrives.',
    ]),
  'ordersource.order.paid.v1': (f) =>
    email(`Receipt for your order ${f.orderId}`, f, [
      `We received your payment of ${money(f.paidCents ?? 0)} (reference ${f.paymentRef ?? ''}).`,
      'LINES',
      'We will let you know when your order ships.',
    ]),
  'ordersource.order.shipped.v1': (f) =>
    email(`Your order ${f.orderId} has shipped`, f, [
      `Your order is on its way with ${f.carrier ?? ''}.`,
      `Tracking number: ${f.trackingNumber ?? ''}`,
    ]),
  'ordersource.order.expired.v1': (f) =>
    email(`Your order ${f.orderId} has expired`, f, [
      `We did not receive a payment by ${f.paymentDueAt ?? 'the deadline'}, so your order has expired and its items were released.`,
      'You are welcome to order again.',
    ]),
  'ordersource.order.cancelled.v1': (f) =>
    email(`Your order ${f.orderId} was cancelled`, f, [
      'Your order was cancelled.',
      f.refundCents ? `We refund your payment of ${money(f.refundCents)}.` : 'Nothing was charged, so there is nothing to refund.',
    ]),
};

/** The integration event types customers are emailed about. */
export const ORDER_EMAIL_TYPES = Object.keys(ORDER_EMAIL_TEMPLATES);
