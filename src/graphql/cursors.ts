import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { ValidationError } from '../domain/errors.js';

/** Opaque cursors: base64url of the sort key (JSON), so clients cannot depend on their shape. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key)) return key;
  } catch {
    // reported below
  }
  throw new ValidationError([{ path: 'after', message: 'is not a cursor this API returned' }]);
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** Keyset pagination as a Relay connection; `fetch` gets decoded cursors and must honour `limit`/`inverted`. */
export async function keysetConnection<T>(
  args: PageArgs,
  toKey: (item: T) => unknown[],
  fetch: (page: { after?: unknown[]; before?: unknown[]; limit: number; inverted: boolean }) => Promise<T[]>,
  count: () => Promise<number>,
) {
  for (const [name, value] of [['first', args.first], ['last', args.last]] as const) {
    if (value !== null && value !== undefined && (value < 0 || value > 100)) {
      throw new ValidationError([{ path: name, message: 'must be between 0 and 100' }]);
    }
  }
  const connection = await resolveCursorConnection(
    { args: { ...args, first: args.first ?? (args.last ? undefined : 20) }, toCursor: (item: T) => encodeCursor(toKey(item)), maxSize: 100, defaultSize: 20 },
    ({ after, before, limit, inverted }: ResolveCursorConnectionArgs) => fetch({ after: decodeCursor(after), before: decodeCursor(before), limit, inverted }),
  );
  return { ...connection, totalCount: count };
}
