import type { OrderState, OrderStatus } from './orderEvents.js';
import { lineTotalCents, orderTotals } from './orderLines.js';

/** An order as the API shows it (GraphQL `Order`), whether built from the aggregate or read tables. */
export interface OrderView {
  id: string;
  customerId: string;
  status: OrderStatus;
  items: { sku: string; name: string; quantity: number; unitPriceCents: number; lineTotalCents: number }[];
  itemCount: number;
  totalCents: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  /**
   * The customer's current name, from the read side; absent on an order folded from its events (a
   * command's result, time travel), whose name is then looked up by customer.
   */
  customerName?: string | null;
  /** The position of the latest event reflected here (for reading its history consistently). */
  position?: string;
}

export function orderViewFromState(state: OrderState, version: number): OrderView {
  return {
    id: state.id,
    customerId: state.customerId,
    status: state.status,
    items: state.lines.map((l) => ({ ...l, lineTotalCents: lineTotalCents(l) })),
    ...orderTotals(state.lines),
    version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
