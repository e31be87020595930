/** What every representation of an order line has in common (aggregate state, read rows, views). */
interface Line {
  sku: string;
  quantity: number;
}

/**
 * Adds units of `sku`: a sku already on the order joins its line (keeping the name and price
 * captured when the line was started), a new one becomes a new line made by `newLine`. Shared by
 * the decider's `evolve` and the orders read model, so both fold lines the same way.
 */
export function addToLines<L extends Line>(lines: readonly L[], sku: string, quantity: number, newLine: () => L): L[] {
  // Loops rather than some/map with closures: a rebuild folds millions of these.
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.sku !== sku) continue;
    const next = lines.slice();
    next[i] = { ...line, quantity: line.quantity + quantity };
    return next;
  }
  return [...lines, newLine()];
}

/** Removes units of `sku`; a line left with none is gone. */
export function removeFromLines<L extends Line>(lines: readonly L[], sku: string, quantity: number): L[] {
  return lines.map((l) => (l.sku === sku ? { ...l, quantity: l.quantity - quantity } : l)).filter((l) => l.quantity > 0);
}

/** A line's total in cents. */
export function lineTotalCents(line: { quantity: number; unitPriceCents: number }): number {
  return line.quantity * line.unitPriceCents;
}

/** The order's total in cents. */
export function orderTotalCents(lines: readonly { quantity: number; unitPriceCents: number }[]): number {
  return orderTotals(lines).totalCents;
}

/** The order's total in cents and its number of units. */
export function orderTotals(lines: readonly { quantity: number; unitPriceCents: number }[]): { totalCents: number; itemCount: number } {
  let totalCents = 0;
  let itemCount = 0;
  for (const line of lines) {
    totalCents += lineTotalCents(line);
    itemCount += line.quantity;
  }
  return { totalCents, itemCount };
}
