import { useEffect, useState } from 'react';

// The other reaction targets (the event bus, customer emails) have no GraphQL query: their lag is
// read from the server's Prometheus metrics, which carry a count per target and nothing else (no
// message, no address).
const METRIC = 'ordersource_reaction_lag_messages';
const POLL_MS = 5_000;
const LABELS: Record<string, string> = { eventBus: 'Event bus (NATS JetStream)', email: 'Customer emails' };

/** Lag per target kind other than webhooks, from `/metrics` in Prometheus text format. */
export function parseReactionLags(metrics: string): Map<string, number> {
  const lags = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const kind = /kind="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (kind && kind in LABELS && Number.isFinite(value)) lags.set(kind, (lags.get(kind) ?? 0) + value);
  }
  return lags;
}

/** The event bus's and the email target's lag (status only), or why it cannot be read. */
export function ReactionTargets() {
  const [lags, setLags] = useState<Map<string, number>>();
  const [unavailable, setUnavailable] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const read = async () => {
      try {
        const response = await fetch(new URL('/metrics', window.location.origin));
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const text = await response.text();
        if (!stopped) {
          setLags(parseReactionLags(text));
          setUnavailable(undefined);
        }
      } catch (error) {
        if (!stopped) setUnavailable((error as Error).message);
      }
    };
    void read();
    const timer = setInterval(() => void read(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <section className="panel" aria-labelledby="targets-title" data-testid="reaction-targets">
      <header className="panel-header">
        <h2 id="targets-title">Other targets</h2>
        <span className="muted">messages not yet delivered, from /metrics</span>
      </header>
      {unavailable && <p className="muted">The server's metrics could not be read ({unavailable}).</p>}
      {lags && (
        <ul className="targets">
          {Object.entries(LABELS).map(([kind, label]) => (
            <li key={kind} data-testid="reaction-target" data-kind={kind} data-lag={lags.get(kind) ?? ''}>
              {label}: {lags.has(kind) ? `lag ${lags.get(kind)}` : <span className="muted">off</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
