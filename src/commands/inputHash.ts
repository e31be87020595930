import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal inputs hash equally whatever order their fields came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The idempotency fingerprint of a command: which command, by whom, with what input. */
export function commandInputHash(command: string, actor: string, input: unknown): string {
  return createHash('sha256').update(canonicalJson({ command, actor, input })).digest('hex');
}
