import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { describeError, ErrorNotice } from './ErrorNotice.js';
import type { ProjectionRowFragment } from './gql/graphql.js';
import { ProjectionsQuery, RetryProjectionMutation, SkipProjectionEventMutation } from './operations.js';

// Lag and status change with every event; a short poll keeps the panel current without a push of its own.
const POLL_MS = 2_000;

/**
 * Every projection: version, status, log position and lag, read again every two seconds. An admin
 * gets Retry and Skip on a FAILED projection; skipping asks once more, since the projection then
 * never applies that event.
 */
export function ProjectionsPanel({ isAdmin, onRefused }: { isAdmin: boolean; onRefused: (reason: string) => void }) {
  const { data, error, loading } = useQuery(ProjectionsQuery, { pollInterval: POLL_MS, notifyOnNetworkStatusChange: false });
  return (
    <section className="panel" aria-labelledby="projections-title">
      <header className="panel-header">
        <h2 id="projections-title">Projections</h2>
        <span className="muted">
          {isAdmin
            ? 'admin: failed projections can be retried or moved past their event'
            : 'read only (retry and skip need an admin token)'}
        </span>
      </header>
      {error && <ErrorNotice what="the projections" error={error} onRefused={onRefused} />}
      {loading && !data && <p className="muted">Loading projections…</p>}
      {data && (
        <table className="table" data-testid="projections-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Version</th>
              <th>Status</th>
              <th className="num">Position</th>
              <th className="num">Lag</th>
              <th>Last error</th>
              {isAdmin && <th>Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.projections.map((projection) => (
              <ProjectionRow key={projection.name} projection={projection} isAdmin={isAdmin} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ProjectionRow({ projection, isAdmin }: { projection: ProjectionRowFragment; isAdmin: boolean }) {
  const { name, version, status, position, lag, lastError } = projection;
  return (
    <tr data-testid="projection-row" data-name={name} data-status={status} data-lag={lag}>
      <td className="mono">{name}</td>
      <td className="num">{version}</td>
      <td>
        <span className={`badge badge-projection-${status.toLowerCase()}`}>{status}</span>
      </td>
      <td className="num mono">{position}</td>
      <td className="num">{lag}</td>
      <td className="projection-error">{lastError ?? ''}</td>
      {isAdmin && <td>{status === 'FAILED' && <AdminActions name={name} />}</td>}
    </tr>
  );
}

/** Retry, and Skip behind a second click; an answer other than the projection's new status is shown in place. */
function AdminActions({ name }: { name: string }) {
  const [retry, retried] = useMutation(RetryProjectionMutation, { variables: { name } });
  const [skip, skipped] = useMutation(SkipProjectionEventMutation, { variables: { name } });
  const [confirming, setConfirming] = useState(false);
  const answer = skipped.data?.skipProjectionEvent ?? retried.data?.retryProjection;
  const refusal = answer && answer.__typename !== 'ProjectionStatus' && 'code' in answer ? `${answer.code}: ${answer.message}` : undefined;
  const failure = retried.error ?? skipped.error;
  const busy = retried.loading || skipped.loading;
  return (
    <div className="actions">
      {confirming ? (
        <>
          <span>Never apply the event it failed on?</span>
          <button type="button" className="danger" disabled={busy} onClick={() => void skip().finally(() => setConfirming(false))}>
            Skip it
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </>
      ) : (
        <>
          <button type="button" disabled={busy} onClick={() => void retry()}>
            Retry
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
            Skip event…
          </button>
        </>
      )}
      {refusal && (
        <span className="field-error" role="alert">
          {refusal}
        </span>
      )}
      {failure && (
        <span className="field-error" role="alert">
          {describeError(failure)}
        </span>
      )}
    </div>
  );
}
