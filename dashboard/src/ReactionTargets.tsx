import { useQuery } from '@apollo/client/react';
import { CommandNotice } from './CommandNotice.js';
import { ErrorNotice } from './ErrorNotice.js';
import type { ReactionTargetRowFragment } from './gql/graphql.js';
import { useCommand } from './useCommand.js';
import { EnableReactionTargetMutation, ReactionTargetsQuery, RedeliverDeadReactionsMutation } from './webhookOperations.js';

// Lag and health change with every event; a short poll keeps the panel current.
const POLL_MS = 2_000;
/** The targets other than webhook endpoints (those have their own table above), in the order shown. */
const LABELS: Record<string, string> = { eventBus: 'Event bus (NATS JetStream)', email: 'Customer emails' };

/**
 * The event bus's and the email target's health, lag and dead letters, from the admin API (the same
 * counts `/metrics` carries, without needing the metrics token). A kind whose setting is unset has
 * no target: it shows as off.
 */
export function ReactionTargets({ onRefused }: { onRefused: (reason: string) => void }) {
  const { data, error } = useQuery(ReactionTargetsQuery, { pollInterval: POLL_MS, notifyOnNetworkStatusChange: false });
  return (
    <section className="panel" aria-labelledby="targets-title" data-testid="reaction-targets">
      <header className="panel-header">
        <h2 id="targets-title">Other targets</h2>
        <span className="muted">messages not yet delivered</span>
      </header>
      {error && <ErrorNotice what="the reaction targets" error={error} onRefused={onRefused} />}
      {data && (
        <ul className="targets">
          {Object.entries(LABELS).map(([kind, label]) => {
            const target = data.reactionTargets.find((t) => t.kind === kind);
            return target ? (
              <TargetItem key={kind} label={label} target={target} />
            ) : (
              <li key={kind} data-testid="reaction-target" data-kind={kind} data-lag="">
                {label}: <span className="muted">off</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function TargetItem({ label, target }: { label: string; target: ReactionTargetRowFragment }) {
  const { id, kind, enabled, disabledReason, lag, failedCount, deadCount } = target;
  const enable = useCommand(EnableReactionTargetMutation);
  const redeliverDead = useCommand(RedeliverDeadReactionsMutation);
  return (
    <li data-testid="reaction-target" data-kind={kind} data-lag={lag} data-enabled={enabled} data-dead={deadCount}>
      {label}: lag {lag}, failed {failedCount}, dead {deadCount}{' '}
      <span className={`badge ${enabled ? 'badge-delivery-delivered' : 'badge-delivery-dead'}`}>{enabled ? 'enabled' : 'disabled'}</span>
      {disabledReason && <span className="muted"> {disabledReason}</span>}
      <span className="actions">
        {!enabled && (
          <button type="button" disabled={enable.busy} onClick={() => void enable.run({ targetId: id }, 'Enabled.')}>
            Enable
          </button>
        )}
        <button
          type="button"
          disabled={redeliverDead.busy || deadCount === 0}
          onClick={() => void redeliverDead.run({ targetId: id }, 'Dead letters on their way again.')}
        >
          Redeliver all dead
        </button>
      </span>
      <CommandNotice outcome={enable.outcome ?? redeliverDead.outcome} />
    </li>
  );
}
