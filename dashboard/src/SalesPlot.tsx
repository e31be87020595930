import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCents } from './format.js';

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
export default function SalesPlot({ points, description }: { points: SalesPoint[]; description: string }) {
  return (
    <ComposedChart
      className="chart"
      responsive
      style={{ width: '100%', height: 220 }}
      data={points}
      margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
      desc={description}
    >
      <CartesianGrid stroke="#e5e7eb" vertical={false} />
      <XAxis dataKey="time" tick={{ fontSize: 11 }} minTickGap={24} />
      <YAxis yAxisId="revenue" tick={{ fontSize: 11 }} width={56} />
      <YAxis yAxisId="paid" orientation="right" allowDecimals={false} tick={{ fontSize: 11 }} width={32} />
      <Tooltip formatter={(value, name) => (name === 'Revenue' ? formatCents(Number(value) * 100) : value)} />
      <Legend />
      <Bar yAxisId="revenue" dataKey="revenue" name="Revenue" fill="#93b4f5" />
      <Line yAxisId="paid" dataKey="paid" name="Paid orders" stroke="#1d4ed8" strokeWidth={2} dot={false} type="linear" />
    </ComposedChart>
  );
}
