import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** How long the soak runs in the fault run (`npm run soak` runs longer by hand). */
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 75);

describe('the soak', () => {
  it(
    'runs mixed commands, queries and subscriptions without an unexpected error while the server heap stays flat',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak.ts', '--seconds', String(SOAK_SECONDS)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      // Past its own time the soak is asked to stop (it then stops its server and PostgreSQL), so a
      // stuck run fails this test instead of leaving processes behind.
      const overdue = setTimeout(() => child.kill('SIGTERM'), (SOAK_SECONDS + 90) * 1_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve)).finally(() => clearTimeout(overdue));
      const line = /SOAK RESULT (.*)/.exec(output)?.[1];
      console.log(`[fault] soak: ${line ?? output.slice(-4_000)}`);
      expect(line, output.slice(-4_000)).toBeDefined();
      const result = JSON.parse(line!) as { problems: string[]; errorRate: number; commands: number; pushes: number };
      expect(result.problems).toEqual([]);
      expect(result.errorRate).toBe(0);
      expect(code).toBe(0);
    },
    (SOAK_SECONDS + 120) * 1_000,
  );
});
