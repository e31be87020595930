import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

// The README's production command is copied by people setting the service up: it must set every
// setting production requires, or the server exits at its first start.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The shell block of the README section `heading`. */
function shellBlockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`README.md: no sh block after "${heading}"`);
  return block[1]!;
}

/** The environment the block's `export` and `NAME=value … node` lines set, `$(openssl rand -hex 32)` made real. */
function environmentOf(block: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const command = line.replace(/\s+#.*$/, '').trim();
    if (!command.startsWith('export ') && !/^[A-Z_]+=\S+ .*\bnode\b/.test(command)) continue;
    for (const [, name, value] of command.matchAll(/\b([A-Z_]+)=(\$\(openssl rand -hex 32\)|\S+)/g))
      env[name!] = value!.startsWith('$(') ? randomBytes(32).toString('hex') : value!;
  }
  return env;
}

describe("the README's production command", () => {
  it('sets every setting production requires, so the server it starts passes its configuration check', () => {
    const env = environmentOf(shellBlockAfter('### Running in production'));
    expect(env).toMatchObject({ NODE_ENV: 'production' });
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadConfig(env).env).toBe('production');
  });
});
