import { parsePosition } from '../projections/consistency.js';
import type { GraphQLContext } from './context.js';

/** Read-your-writes for a query field: waits when `consistentWith` is given (bounded, then CONSISTENCY_TIMEOUT). */
export async function readConsistently(ctx: GraphQLContext, projections: readonly string[], consistentWith: string | null | undefined): Promise<void> {
  const position = parsePosition(consistentWith);
  if (position !== undefined) await ctx.readSide.waitFor(projections, position);
}

/** The `consistentWith` argument every read-model query takes. */
export const consistentWithArg = {
  required: false,
  description: 'A `position` from a mutation result: wait (up to 5 s) until this read reflects it.',
} as const;
