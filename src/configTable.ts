import { z } from 'zod';
import { settings } from './config.js';

const START = '<!-- config-table:start (generated from src/config/ by `npm run config:table`) -->';
const END = '<!-- config-table:end -->';

/** What the README shows as a setting's default: its zod default, else what happens when it is unset. */
function defaultText(schema: z.ZodType): string {
  // A setting parsed further (`.default(...).pipe(duration)`) holds its default on the pipe's input.
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodPipe) inner = inner.def.in as z.ZodType;
  if (inner instanceof z.ZodDefault) return `\`${String(inner.def.defaultValue)}\``;
  return z.globalRegistry.get(schema)?.unset ?? 'unset';
}

/** The README's configuration table, one row per setting declared in `settings`. */
export function configTable(): string {
  const rows = Object.entries(settings.shape).map(([name, schema]) => {
    const description = z.globalRegistry.get(schema)?.description;
    if (!description) throw new Error(`${name}: has no .describe() in src/config/`);
    return `| \`${name}\` | ${defaultText(schema)} | ${description} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The README with the text between its config-table markers replaced by `configTable()`. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md: lacks the markers ${START} … ${END}`);
  return `${readme.slice(0, start + START.length)}\n\n${configTable()}\n\n${readme.slice(end)}`;
}
