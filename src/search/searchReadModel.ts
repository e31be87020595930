import type { RecordedEvent } from '../eventStore/types.js';
import { ORDER_STREAMS } from '../domain/streamIds.js';
import type { OrderEvent, OrderEventType } from '../orders/orderEvents.js';
import { addToLines, removeFromLines } from '../orders/orderLines.js';

/** A line as the search document needs it: its words are the sku and the product name. */
export interface SearchLine {
  sku: string;
  name: string;
  quantity: number;
}

/** A row of `order_search` (without its `document`, which the database computes from the row). */
export interface SearchEntryRow {
  order_id: string;
  customer_id: string;
  customer_name: string | null;
  customer_email: string | null;
  lines: SearchLine[];
  last_position: bigint;
}

/** A row of `search_customers`: what the index knows of a customer now. */
export interface SearchCustomerRow {
  customer_id: string;
  name: string | null;
  email: string | null;
  last_position: bigint;
}

/** The search read model for the orders and customers a batch touches. */
export interface SearchRows {
  entries: Map<string, SearchEntryRow>;
  customers: Map<string, SearchCustomerRow>;
}

/** The order events that change an order's words; status changes do not. */
const ORDER_WORD_EVENTS = ['OrderCreated', 'ItemAdded', 'ItemRemoved'] as const satisfies readonly OrderEventType[];
/**
 * The customer events that set or erase a customer's words. `CustomerForgotten` (`{ customerId }`,
 * on the customer's stream) erases them; a forgotten customer's registration reads with
 * `personal` null.
 */
const CUSTOMER_WORD_EVENTS = ['CustomerRegistered', 'CustomerForgotten'] as const;

export const SEARCH_EVENT_TYPES = [...ORDER_WORD_EVENTS, ...CUSTOMER_WORD_EVENTS];

type OrderWordEvent = Extract<OrderEvent, { type: (typeof ORDER_WORD_EVENTS)[number] }>;
type CustomerWordData = { customerId: string; personal?: { name: string; email: string } | null };

/** The customer an event of this projection concerns, when it is a customer event. */
export const customerIdOf = (event: RecordedEvent): string | undefined =>
  ORDER_STREAMS.owns(event.streamId) ? undefined : (event.data as CustomerWordData).customerId;

/**
 * Applies events to the rows in memory (mutating `rows`): returns the order events and the customer
 * events that changed something. An event at or below its row's `last_position` is a replay and is
 * skipped. A customer event reaches the customer's orders held in `rows`; the others are updated in
 * the database (see the projection).
 */
export function applySearchEvents(
  rows: SearchRows,
  events: readonly RecordedEvent[],
): { changed: RecordedEvent[]; customersChanged: RecordedEvent[] } {
  const changed: RecordedEvent[] = [];
  const customersChanged: RecordedEvent[] = [];
  for (const event of events) {
    const customerId = customerIdOf(event);
    if (customerId !== undefined) {
      if (applyCustomer(rows, customerId, event)) customersChanged.push(event);
    } else if (applyOrder(rows, ORDER_STREAMS.idOf(event.streamId), event)) {
      changed.push(event);
    }
  }
  return { changed, customersChanged };
}

function applyCustomer(rows: SearchRows, customerId: string, event: RecordedEvent): boolean {
  const known = rows.customers.get(customerId);
  if (known && event.position <= known.last_position) return false;
  const personal = event.type === 'CustomerRegistered' ? ((event.data as CustomerWordData).personal ?? null) : null;
  const customer = { customer_id: customerId, name: personal?.name ?? null, email: personal?.email ?? null, last_position: event.position };
  rows.customers.set(customerId, customer);
  for (const [orderId, entry] of rows.entries) {
    if (entry.customer_id === customerId)
      rows.entries.set(orderId, { ...entry, customer_name: customer.name, customer_email: customer.email });
  }
  return true;
}

function applyOrder(rows: SearchRows, orderId: string, recorded: RecordedEvent): boolean {
  const entry = rows.entries.get(orderId);
  if (entry && recorded.position <= entry.last_position) return false;
  const event = recorded as unknown as OrderWordEvent;
  if (event.type === 'OrderCreated') {
    if (entry) return false;
    const customer = rows.customers.get(event.data.customerId);
    rows.entries.set(orderId, {
      order_id: orderId,
      customer_id: event.data.customerId,
      customer_name: customer?.name ?? null,
      customer_email: customer?.email ?? null,
      lines: [],
      last_position: recorded.position,
    });
    return true;
  }
  if (!entry) return false; // its creation was skipped by an admin
  let lines: SearchLine[];
  if (event.type === 'ItemAdded') {
    const { sku, name, quantity } = event.data;
    lines = addToLines(entry.lines, sku, quantity, () => ({ sku, name, quantity }));
  } else if (event.type === 'ItemRemoved') {
    lines = removeFromLines(entry.lines, event.data.sku, event.data.quantity);
  } else {
    return false; // a status change: no word changes
  }
  rows.entries.set(orderId, { ...entry, lines, last_position: recorded.position });
  return true;
}
