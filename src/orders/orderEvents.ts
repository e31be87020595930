/** Order lifecycle: DRAFT -> SUBMITTED -> PAID -> SHIPPED -> DELIVERED, or CANCELLED, or EXPIRED (unpaid by its deadline). */
export const ORDER_STATUSES = ['DRAFT', 'SUBMITTED', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'EXPIRED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Events of the Order stream (`Order-<orderId>`). */
export type OrderEvent =
  | { type: 'OrderCreated'; data: { orderId: string; customerId: string } }
  | { type: 'ItemAdded'; data: { sku: string; name: string; quantity: number; unitPriceCents: number } }
  | { type: 'ItemRemoved'; data: { sku: string; quantity: number } }
  | { type: 'OrderSubmitted'; data: { totalCents: number; lines: { sku: string; quantity: number }[] } }
  | { type: 'PaymentRecorded'; data: { amountCents: number; paymentRef: string } }
  | { type: 'OrderShipped'; data: { carrier: string; trackingNumber: string } }
  | { type: 'OrderDelivered'; data: Record<string, never> }
  | { type: 'OrderCancelled'; data: { reason: string; previousStatus: OrderStatus } }
  | { type: 'RefundRecorded'; data: { amountCents: number; paymentRef: string } }
  | { type: 'OrderExpired'; data: { paymentDueAt: string } };

export type OrderEventType = OrderEvent['type'];

/**
 * Events of the payment-reference stream (`PaymentRef-<paymentRef>`): appended together with the
 * payment it belongs to, with the version read when deciding, so one reference pays one order.
 */
export type PaymentRefEvent = { type: 'PaymentRefClaimed'; data: { orderId: string } };

/** Commands the Order decider accepts; the pipeline supplies catalog prices and the actor's role. */
export type OrderCommand =
  | { type: 'CreateOrder'; orderId: string; customerId: string }
  | { type: 'AddItem'; sku: string; quantity: number; product: { name: string; priceCents: number } }
  | { type: 'RemoveItem'; sku: string; quantity?: number }
  | { type: 'SubmitOrder' }
  /** `paymentRefClaimedBy`: the order that already holds this reference, if any. */
  | { type: 'RecordPayment'; amountCents: number; paymentRef: string; paymentRefClaimedBy: string | null }
  | { type: 'ShipOrder'; carrier: string; trackingNumber: string }
  | { type: 'DeliverOrder' }
  | { type: 'CancelOrder'; reason: string; byStaff: boolean }
  | { type: 'ExpireOrder'; paymentDueAt: string; now: string };

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/** The Order aggregate's state (JSON-serialisable: it is stored in snapshots). */
export interface OrderState {
  exists: boolean;
  id: string;
  customerId: string;
  status: OrderStatus;
  lines: OrderLine[];
  paymentRef: string | null;
  paidCents: number;
  /** Item changes (adds and removes) made while DRAFT, bounded by {@link MAX_DRAFT_CHANGES}. */
  draftChanges: number;
  createdAt: string;
  updatedAt: string;
}

/** The most one order line may hold (and one addItem may add). */
export const MAX_LINE_QUANTITY = 1000;

/** The most lines one order may have. */
export const MAX_ORDER_LINES = 100;

/**
 * The most item changes (adds and removes) a draft takes: every change is an event kept for ever
 * in the order's history, so one order must not grow without bound.
 */
export const MAX_DRAFT_CHANGES = 500;
