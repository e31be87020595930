/**
 * Text PostgreSQL cannot store: a NUL character (no `text` or `jsonb` value may hold U+0000) or a
 * UTF-16 surrogate without its pair (it has no UTF-8 encoding). Either makes the insert fail, and
 * inside a group-commit batch that failure would roll back every other command of the batch.
 */
export function isStorableText(text: string): boolean {
  // With the `u` flag a paired surrogate is one code point, so \p{Cs} matches only a lone one.
  return !text.includes('\0') && !/\p{Cs}/u.test(text);
}

/** Whether any string in a JSON-like value (keys included) is text PostgreSQL cannot store. */
export function holdsUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return !isStorableText(value);
  if (Array.isArray(value)) return value.some(holdsUnstorableText);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => !isStorableText(key) || holdsUnstorableText(v));
  }
  return false;
}
