// Amounts are cents with no currency in the contract, so they are shown as plain decimals.
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const formatCents = (cents: number): string => money.format(cents / 100);

export const formatTime = (iso: string): string => time.format(new Date(iso));

/** An event's data on one line, for the timeline. */
export function summarise(data: unknown): string {
  if (data === null || typeof data !== 'object') return '';
  return Object.entries(data as Record<string, unknown>)
    .filter(([key]) => key !== 'orderId')
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' · ');
}
