import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable, withConfigTable } from '../src/configTable.js';

describe("README's configuration table", () => {
  it('matches the settings declared in src/config/ (run `npm run config:table` after adding or changing one)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });

  it('shows the default of a setting that is parsed further after its default, not "unset"', () => {
    const rows = configTable().split('\n');
    expect(rows.find((row) => row.startsWith('| `REACTION_DISABLE_AFTER` |'))).toContain('| `3d` |');
    expect(rows.find((row) => row.startsWith('| `REACTION_RETRY_SCHEDULE` |'))).toContain('| `5s,30s,2m,10m,30m,1h,2h,4h,8h,8h` |');
  });
});
