// Amounts are cents in the API; the server's CURRENCY setting (read once at start, see main.tsx)
// says which currency they are in. Until it is known they are plain decimals.
let money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
let currencyCode: string | undefined;
const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Shows amounts in `code` (ISO 4217) from now on. */
export function setCurrency(code: string): void {
  currencyCode = code;
  money = new Intl.NumberFormat(undefined, { style: 'currency', currency: code });
}

/** The currency amounts are shown in (`EUR`), once the server has said. */
export const currency = (): string | undefined => currencyCode;

export const formatCents = (cents: number): string => money.format(cents / 100);

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const dayAndClock = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export const formatTime = (iso: string): string => time.format(new Date(iso));

/** Today's times as a clock, older ones as day and minute: short enough for a table cell. */
export function formatShortTime(iso: string): string {
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? clock.format(at) : dayAndClock.format(at);
}

/** A long id cut to its first characters (the full id goes in a tooltip). */
export const shortId = (id: string, keep = 8): string => (id.length > keep + 1 ? `${id.slice(0, keep)}…` : id);
