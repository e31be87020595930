import { useQuery, useSubscription } from '@apollo/client/react';
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorNotice } from './ErrorNotice.js';
import { formatCents } from './format.js';
import { SalesFeedSubscription, SalesStatsQuery } from './operations.js';
import type { SalesPoint } from './SalesPlot.js';

const SalesPlot = lazy(() => import('./SalesPlot.js'));

/** The two windows the chart offers: the last hour by minute and the last day by hour. */
const SPANS = {
  hour: { label: 'Last hour', bucket: 'MINUTE', bucketMs: 60_000, buckets: 60 },
  day: { label: 'Last day', bucket: 'HOUR', bucketMs: 3_600_000, buckets: 24 },
} as const;
type Span = keyof typeof SPANS;

// The figures are read at most this often while order changes arrive: the events of one command (a
// cancellation and its refund) and a busy shop's stream each cost one read, never one per event.
const FEED_READ_INTERVAL_MS = 500;

const minuteLabel = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const hourLabel = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

/** The span's buckets up to and including the one `now` falls in (bucket edges in UTC, as the server counts). */
function windowOf(span: Span, now: number): { from: string; to: string } {
  const { bucketMs, buckets } = SPANS[span];
  const end = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  return { from: new Date(end - buckets * bucketMs).toISOString(), to: new Date(end).toISOString() };
}

/**
 * Orders paid and revenue per bucket, from the sales projection's `salesStats`. It moves without a
 * reload: order changes on `orderFeed` read the figures again (at most twice a second), with
 * `consistentWith` set to the last change's position so the answer already counts it (the sales
 * projection may run behind the orders one that feeds the subscription). The window also rolls on
 * at each bucket edge. The same figures are in a table under the chart, for screen readers and
 * for copying.
 */
export function SalesChart({ onRefused }: { onRefused: (reason: string) => void }) {
  const [span, setSpan] = useState<Span>('hour');
  const [reading, setReading] = useState<{ at: number; consistentWith?: string }>(() => ({ at: Date.now() }));
  const { bucket, bucketMs } = SPANS[span];
  const range = useMemo(() => windowOf(span, reading.at), [span, reading.at]);

  const { data, previousData, error } = useQuery(SalesStatsQuery, {
    variables: { ...range, bucket, consistentWith: reading.consistentWith },
    // Every read has new variables; caching them would keep one copy of the figures per order change.
    fetchPolicy: 'no-cache',
  });

  const latest = useRef<string>(undefined);
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  const feed = useSubscription(SalesFeedSubscription, {
    onData: ({ data: pushed }) => {
      const position = pushed.data?.orderFeed.position;
      if (position === undefined) return;
      latest.current = position;
      pending.current ??= setTimeout(() => {
        pending.current = undefined;
        setReading({ at: Date.now(), consistentWith: latest.current });
      }, FEED_READ_INTERVAL_MS);
    },
  });
  useEffect(
    () => () => {
      clearTimeout(pending.current);
      pending.current = undefined;
    },
    [],
  );

  // Roll the window on just after the current bucket ends, even when no order changes.
  useEffect(() => {
    const wait = bucketMs - (Date.now() % bucketMs) + 50;
    const timer = setTimeout(() => setReading((previous) => ({ ...previous, at: Date.now() })), wait);
    return () => clearTimeout(timer);
  }, [bucketMs, reading.at]);

  const buckets = (data ?? previousData)?.salesStats ?? [];
  const label = span === 'hour' ? minuteLabel : hourLabel;
  const points: SalesPoint[] = buckets.map((b) => ({
    time: label.format(new Date(b.start)),
    paid: b.ordersPaid,
    revenue: b.revenueCents / 100,
  }));
  const totals = buckets.reduce(
    (sum, b) => ({
      created: sum.created + b.ordersCreated,
      paid: sum.paid + b.ordersPaid,
      cancelled: sum.cancelled + b.ordersCancelled,
      revenue: sum.revenue + b.revenueCents,
    }),
    { created: 0, paid: 0, cancelled: 0, revenue: 0 },
  );

  return (
    <section
      className="panel sales"
      aria-labelledby="sales-title"
      data-testid="sales-chart"
      data-span={span}
      data-loaded={buckets.length > 0 ? 'true' : undefined}
    >
      <header className="panel-header">
        <h2 id="sales-title">Sales</h2>
        <div className="segmented" role="group" aria-label="Time window">
          {(Object.keys(SPANS) as Span[]).map((key) => (
            <button key={key} type="button" aria-pressed={span === key} onClick={() => setSpan(key)}>
              {SPANS[key].label}
            </button>
          ))}
        </div>
      </header>
      {error && <ErrorNotice what="the sales figures" error={error} onRefused={onRefused} />}
      {feed.error && <ErrorNotice what="the live order feed" error={feed.error} onRefused={onRefused} />}
      <dl className="totals">
        <div>
          <dt>Paid orders</dt>
          <dd data-testid="sales-paid">{totals.paid}</dd>
        </div>
        <div>
          <dt>Revenue</dt>
          <dd data-testid="sales-revenue">{formatCents(totals.revenue)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{totals.created}</dd>
        </div>
        <div>
          <dt>Cancelled</dt>
          <dd>{totals.cancelled}</dd>
        </div>
      </dl>
      <Suspense fallback={<div className="chart-placeholder" />}>
        <SalesPlot
          points={points}
          description={`Revenue and paid orders, ${SPANS[span].label.toLowerCase()} by ${bucket.toLowerCase()}`}
          timeAxis={`Time (by ${bucket.toLowerCase()}, local)`}
        />
      </Suspense>
      <details className="figures">
        <summary>The figures as a table</summary>
        <table className="table compact" data-testid="sales-table">
          <thead>
            <tr>
              <th>{span === 'hour' ? 'Minute' : 'Hour'}</th>
              <th className="num">Created</th>
              <th className="num">Paid</th>
              <th className="num">Cancelled</th>
              <th className="num">Revenue</th>
              <th className="num">Refunds</th>
            </tr>
          </thead>
          <tbody>
            {buckets.map((b) => (
              <tr key={b.start} data-start={b.start} data-paid={b.ordersPaid}>
                <td>{label.format(new Date(b.start))}</td>
                <td className="num">{b.ordersCreated}</td>
                <td className="num">{b.ordersPaid}</td>
                <td className="num">{b.ordersCancelled}</td>
                <td className="num">{formatCents(b.revenueCents)}</td>
                <td className="num">{formatCents(b.refundsCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
