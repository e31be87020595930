import type pg from 'pg';
import { occurredAtOf } from '../commands/loadAggregate.js';
import type { RecordedEvent } from '../eventStore/types.js';
import type { CustomerEvent } from './customerEvents.js';
import type { Projection } from '../projections/projection.js';
import { loadRows, RowWrites } from '../projections/rows.js';
import { ORDER_STREAMS } from '../domain/streamIds.js';

/** A row of `customer_summaries`. */
export interface CustomerRow {
  customer_id: string;
  name: string | null;
  email: string | null;
  forgotten: boolean;
  order_count: number;
  total_spent_cents: bigint;
  registered_at: string;
  last_position: bigint;
}

type CustomerRegisteredData = Extract<CustomerEvent, { type: 'CustomerRegistered' }>['data'];

export const CUSTOMER_EVENT_TYPES = [
  'CustomerRegistered',
  'CustomerForgotten',
  'OrderCreated',
  'PaymentRecorded',
  'RefundRecorded',
] as const;

/** Events of the customer's own stream: they name their customer in `customerId`. */
const namesCustomer = (type: string): boolean => type === 'CustomerRegistered' || type === 'CustomerForgotten' || type === 'OrderCreated';

/**
 * Applies events to customer rows in memory. Orders reach their customer through `links`
 * (order id -> customer id, from OrderCreated); returns the new links and the changed customers.
 */
export function applyCustomerEvents(
  rows: Map<string, CustomerRow>,
  links: Map<string, string>,
  events: RecordedEvent[],
): { newLinks: { order_id: string; customer_id: string; last_position: bigint }[]; changed: RecordedEvent[] } {
  const newLinks: { order_id: string; customer_id: string; last_position: bigint }[] = [];
  const changed: RecordedEvent[] = [];
  for (const event of events) {
    const data = event.data as Record<string, unknown>;
    const orderId = ORDER_STREAMS.idOf(event.streamId);
    const customerId = namesCustomer(event.type) ? (data.customerId as string) : links.get(orderId);
    if (!customerId) continue;
    const row = rows.get(customerId);
    if (row && event.position <= row.last_position) continue;
    if (event.type === 'CustomerRegistered') {
      const { personal } = data as CustomerRegisteredData;
      // `personal` is null when the customer's key is gone (a rebuild after they were forgotten).
      rows.set(customerId, {
        customer_id: customerId,
        name: personal?.name ?? null,
        email: personal?.email ?? null,
        forgotten: false,
        order_count: 0,
        total_spent_cents: 0n,
        registered_at: occurredAtOf(event),
        last_position: event.position,
      });
    } else if (row && event.type === 'CustomerForgotten') {
      rows.set(customerId, { ...row, name: null, email: null, forgotten: true, last_position: event.position });
    } else if (row) {
      const amount = BigInt((data.amountCents as number | undefined) ?? 0);
      const next = { ...row, last_position: event.position };
      if (event.type === 'OrderCreated') {
        next.order_count += 1;
        links.set(orderId, customerId);
        newLinks.push({ order_id: orderId, customer_id: customerId, last_position: event.position });
      }
      if (event.type === 'PaymentRecorded') next.total_spent_cents += amount;
      if (event.type === 'RefundRecorded') next.total_spent_cents -= amount;
      rows.set(customerId, next);
    } else {
      continue;
    }
    changed.push(event);
  }
  return { newLinks, changed };
}

type StoredRow = Omit<CustomerRow, 'registered_at' | 'last_position' | 'total_spent_cents'> & {
  registered_at: Date;
  last_position: string;
  total_spent_cents: string;
};

/** Projection `customers`: each customer's order count and spend. */
export const customersProjection: Projection = {
  name: 'customers',
  version: 1,
  eventTypes: CUSTOMER_EVENT_TYPES,
  tables: ['customer_summaries', 'customer_order_links'],
  async apply(tx: pg.ClientBase, events: RecordedEvent[]) {
    const orderIds = events.filter((e) => ORDER_STREAMS.owns(e.streamId)).map((e) => ORDER_STREAMS.idOf(e.streamId));
    const links = new Map<string, string>();
    for (const link of await loadRows<{ order_id: string; customer_id: string }>(tx, 'customer_order_links', 'order_id', [
      ...new Set(orderIds),
    ])) {
      links.set(link.order_id, link.customer_id);
    }
    const customerIds = new Set<string>(links.values());
    for (const e of events) if (namesCustomer(e.type)) customerIds.add((e.data as { customerId: string }).customerId);
    const rows = new Map<string, CustomerRow>();
    for (const row of await loadRows<StoredRow>(tx, 'customer_summaries', 'customer_id', [...customerIds])) {
      rows.set(row.customer_id, {
        ...row,
        registered_at: row.registered_at.toISOString(),
        last_position: BigInt(row.last_position),
        total_spent_cents: BigInt(row.total_spent_cents),
      });
    }
    const { newLinks, changed } = applyCustomerEvents(rows, links, events);
    // The customers some event changed.
    const touched = new Set<string>();
    for (const e of changed) {
      touched.add(namesCustomer(e.type) ? (e.data as { customerId: string }).customerId : links.get(ORDER_STREAMS.idOf(e.streamId))!);
    }
    await new RowWrites()
      .upsert('customer_order_links', LINK_COLUMNS, ['order_id'], newLinks as never, 'nothing')
      .upsert('customer_summaries', COLUMNS, ['customer_id'], [...touched].map((id) => rows.get(id)!) as never)
      .run(tx);
  },
};

const COLUMNS = {
  customer_id: 'text',
  name: 'text',
  email: 'text',
  forgotten: 'boolean',
  order_count: 'int',
  total_spent_cents: 'bigint',
  registered_at: 'timestamptz',
  last_position: 'bigint',
};
const LINK_COLUMNS = { order_id: 'text', customer_id: 'text', last_position: 'bigint' };
