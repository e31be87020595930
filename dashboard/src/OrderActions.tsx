import { useState, type FormEvent, type ReactNode } from 'react';
import { ORDER_TRANSITIONS } from '../../src/orders/orderStatus.js';
import { CancelOrderMutation, DeliverOrderMutation, RecordPaymentMutation, ShipOrderMutation } from './backOfficeOperations.js';
import { CommandNotice } from './CommandNotice.js';
import { formatCents } from './format.js';
import type { OrderStatus } from './gql/graphql.js';
import { useCommand, type CommandOutcome } from './useCommand.js';

/** Each action and the event it would append: the order's status machine says when it is allowed. */
const ACTIONS = {
  pay: { event: 'PaymentRecorded', done: 'paid' },
  ship: { event: 'OrderShipped', done: 'shipped' },
  deliver: { event: 'OrderDelivered', done: 'delivered' },
  cancel: { event: 'OrderCancelled', done: 'cancelled' },
} as const;
type Action = keyof typeof ACTIONS;

/** Why an action is not offered now (`only a PAID order can be shipped; this one is SUBMITTED`), or undefined when it is. */
function unavailable(action: Action, status: OrderStatus): string | undefined {
  const { from } = ORDER_TRANSITIONS[ACTIONS[action].event];
  if ((from as readonly string[]).includes(status)) return undefined;
  const statuses = from.length > 1 ? `${from.slice(0, -1).join(', ')} or ${from.at(-1)}` : from[0];
  return `Only a ${statuses} order can be ${ACTIONS[action].done}; this one is ${status}.`;
}

/**
 * What staff do to an order: record its payment, ship it, deliver it, cancel it. Each form sends
 * the API's mutation; what the status does not allow is disabled with the reason, and a refusal
 * (the order moved on meanwhile, bad input) is shown with its code. The order's new state arrives
 * in the mutation's answer and by the live feeds, which every open screen follows.
 */
export function OrderActions({ order }: { order: { id: string; status: OrderStatus; totalCents: number } }) {
  const pay = useCommand(RecordPaymentMutation);
  const ship = useCommand(ShipOrderMutation);
  const deliver = useCommand(DeliverOrderMutation);
  const cancel = useCommand(CancelOrderMutation);
  const [paymentRef, setPaymentRef] = useState('');
  const [carrier, setCarrier] = useState('');
  const [trackingNumber, setTrackingNumber] = useState('');
  const [reason, setReason] = useState('');
  const orderId = order.id;

  return (
    <section className="order-actions" aria-label="Actions" data-testid="order-actions">
      <ActionForm
        name="pay"
        title={`Record payment of ${formatCents(order.totalCents)}`}
        status={order.status}
        busy={pay.busy}
        outcome={pay.outcome}
        onSubmit={() =>
          pay.run({ orderId, amountCents: order.totalCents, paymentRef: paymentRef.trim() }, 'Payment recorded.').then((done) => {
            if (done) setPaymentRef('');
          })
        }
      >
        <input
          aria-label="Payment reference"
          placeholder="Payment reference"
          value={paymentRef}
          onChange={(e) => setPaymentRef(e.target.value)}
          required
        />
      </ActionForm>
      <ActionForm
        name="ship"
        title="Ship"
        status={order.status}
        busy={ship.busy}
        outcome={ship.outcome}
        onSubmit={() => ship.run({ orderId, carrier: carrier.trim(), trackingNumber: trackingNumber.trim() }, 'Shipped.')}
      >
        <input aria-label="Carrier" placeholder="Carrier" value={carrier} onChange={(e) => setCarrier(e.target.value)} required />
        <input
          aria-label="Tracking number"
          placeholder="Tracking number"
          value={trackingNumber}
          onChange={(e) => setTrackingNumber(e.target.value)}
          required
        />
      </ActionForm>
      <ActionForm
        name="deliver"
        title="Mark delivered"
        status={order.status}
        busy={deliver.busy}
        outcome={deliver.outcome}
        onSubmit={() => deliver.run({ orderId }, 'Delivered.')}
      />
      <ActionForm
        name="cancel"
        title="Cancel order"
        danger
        status={order.status}
        busy={cancel.busy}
        outcome={cancel.outcome}
        onSubmit={() => cancel.run({ orderId, reason: reason.trim() }, 'Cancelled.')}
      >
        <input aria-label="Reason" placeholder="Reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
      </ActionForm>
    </section>
  );
}

function ActionForm({
  name,
  title,
  status,
  busy,
  outcome,
  danger,
  onSubmit,
  children,
}: {
  name: Action;
  title: string;
  status: OrderStatus;
  busy: boolean;
  outcome?: CommandOutcome;
  danger?: boolean;
  onSubmit: () => unknown;
  children?: ReactNode;
}) {
  const why = unavailable(name, status);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void onSubmit();
  };
  return (
    <form className="action-form" data-action={name} onSubmit={submit}>
      <fieldset disabled={why !== undefined || busy}>
        {children}
        <button type="submit" className={danger ? 'danger' : undefined}>
          {title}
        </button>
      </fieldset>
      {why && (
        <p className="muted action-unavailable" data-testid="action-unavailable">
          {why}
        </p>
      )}
      <CommandNotice outcome={outcome} />
    </form>
  );
}
