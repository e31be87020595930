import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `npm run token` is the first script a newcomer runs after `npm start`: asking it for help, or
// mistyping an option, must say how to use it, not print a stack trace.

const token = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });

describe('npm run token', () => {
  it('prints its usage for --help and exits 0', () => {
    const run = token('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run token -- --role <customer\|staff\|admin\|payments> --sub <subject>/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unknown option and prints the usage, with exit code 2 and no stack trace', () => {
    const run = token('--bogus');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain('usage: npm run token');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints a token for a role and a subject', () => {
    const run = token('--role', 'staff', '--sub', 'alice');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('.')).toHaveLength(3);
  });
});
