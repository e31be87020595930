import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withConfigTable } from '../src/configTable.js';

describe("README's configuration table", () => {
  it('matches the settings declared in src/config/ (run `npm run config:table` after adding or changing one)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });
});
