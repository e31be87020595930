import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { ValidationError } from '../domain/errors.js';
import { isStorableText } from '../eventStore/storableText.js';

/** Opaque cursors: base64url of the sort key (JSON), so clients cannot depend on their shape. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * Decodes a cursor and checks it has the shape of this connection's sort key (`isKey`), so a
 * cursor from another connection or a forged one is a VALIDATION_FAILED on its argument. Text in
 * the key that PostgreSQL cannot store is refused here for every connection, before any query.
 */
export function decodeCursor(
  cursor: string | undefined,
  argument: 'after' | 'before',
  isKey: (key: unknown[]) => boolean,
): unknown[] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const storable = (part: unknown) => typeof part !== 'string' || isStorableText(part);
    if (Array.isArray(key) && key.every(storable) && isKey(key)) return key;
  } catch {
    // reported below
  }
  throw new ValidationError([{ path: argument, message: 'is not a cursor this connection returned' }]);
}

/**
 * True for a timestamp exactly as a cursor holds it (`Date#toISOString`, years 0000 to 9999): a
 * date JavaScript accepts can still be far outside PostgreSQL's range (year -271821).
 */
export function isCursorTimestamp(part: unknown): boolean {
  if (typeof part !== 'string' || !/^\d{4}-/.test(part)) return false;
  const time = Date.parse(part);
  return !Number.isNaN(time) && new Date(time).toISOString() === part;
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
  key: { of: (item: T) => unknown[]; isValid: (key: unknown[]) => boolean },
  fetch: (page: { after?: unknown[]; before?: unknown[]; limit: number; inverted: boolean }) => Promise<T[]>,
  count: () => Promise<number>,
) {
  for (const [name, value] of [
    ['first', args.first],
    ['last', args.last],
  ] as const) {
    if (value !== null && value !== undefined && (value < 0 || value > 100)) {
      throw new ValidationError([{ path: name, message: 'must be between 0 and 100' }]);
    }
  }
  // An empty page reports '' as its cursors; taking one back means "from the start".
  const after = args.after || null;
  const before = args.before || null;
  const first = args.first ?? (args.last !== null && args.last !== undefined ? undefined : 20);
  const connection = await resolveCursorConnection(
    { args: { ...args, after, before, first }, toCursor: (item: T) => encodeCursor(key.of(item)), maxSize: 100, defaultSize: 20 },
    (page: ResolveCursorConnectionArgs) =>
      fetch({
        after: decodeCursor(page.after, 'after', key.isValid),
        before: decodeCursor(page.before, 'before', key.isValid),
        limit: page.limit,
        inverted: page.inverted,
      }),
  );
  return { ...connection, totalCount: count };
}
