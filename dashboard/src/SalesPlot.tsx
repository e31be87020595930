import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { currency, formatCents } from './format.js';

/** One bucket as the chart draws it: revenue in currency units, paid orders as a count. */
export interface SalesPoint {
  time: string;
  paid: number;
  revenue: number;
}

/**
 * Revenue as bars and paid orders as a line, on two axes. Recharts draws SVG and, by default, makes
 * the chart focusable with arrow keys moving the tooltip from bucket to bucket. Loaded on its own
 * (React.lazy) so the chart library does not delay the first screen.
 */
export default function SalesPlot({ points, description, timeAxis }: { points: SalesPoint[]; description: string; timeAxis: string }) {
  const code = currency();
  return (
    <ComposedChart
      className="chart"
      responsive
      style={{ width: '100%', height: 220 }}
      data={points}
      margin={{ top: 8, right: 8, bottom: 16, left: 8 }}
      desc={description}
    >
      <CartesianGrid stroke="#e5e7eb" vertical={false} />
      <XAxis
        dataKey="time"
        tick={{ fontSize: 11 }}
        minTickGap={24}
        label={{ value: timeAxis, position: 'insideBottom', offset: -12, fontSize: 11 }}
      />
      <YAxis
        yAxisId="revenue"
        tick={{ fontSize: 11 }}
        width={64}
        label={{
          value: code ? `Revenue (${code})` : 'Revenue',
          angle: -90,
          position: 'insideLeft',
          fontSize: 11,
          style: { textAnchor: 'middle' },
        }}
      />
      <YAxis
        yAxisId="paid"
        orientation="right"
        allowDecimals={false}
        tick={{ fontSize: 11 }}
        width={40}
        label={{ value: 'Paid orders', angle: 90, position: 'insideRight', fontSize: 11, style: { textAnchor: 'middle' } }}
      />
      <Tooltip formatter={(value, name) => (name === 'Revenue' ? formatCents(Number(value) * 100) : value)} />
      <Legend verticalAlign="top" height={24} />
      <Bar yAxisId="revenue" dataKey="revenue" name="Revenue" fill="#93b4f5" />
      <Line yAxisId="paid" dataKey="paid" name="Paid orders" stroke="#1d4ed8" strokeWidth={2} dot={false} type="linear" />
    </ComposedChart>
  );
}
