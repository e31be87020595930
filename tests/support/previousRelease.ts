import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The previous release: the state of `main` that databases in the field were written by. */
export const PREVIOUS_RELEASE = 'ff41b738a13f20828e0ddfab8f5c57941a456050';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function hasCommit(root: string, commit: string): boolean {
  try {
    git(root, 'cat-file', '-e', `${commit}^{commit}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the previous release's tree into a temporary folder, ready to run: this checkout's
 * node_modules linked in (the release has the same runtime dependencies) and its own Prisma client
 * generated from its own schema. The commit comes from this clone's history; a shallow clone
 * fetches it from its origin, and without it the test fails saying so (an upgrade untested is not
 * an upgrade that works).
 */
export function checkOutPreviousRelease(): { dir: string; remove(): void } {
  const root = git(process.cwd(), 'rev-parse', '--show-toplevel').trim();
  if (!hasCommit(root, PREVIOUS_RELEASE)) {
    try {
      git(root, 'fetch', '--quiet', '--no-tags', 'origin', PREVIOUS_RELEASE);
    } catch (error) {
      throw new Error(
        `the upgrade test needs the previous release ${PREVIOUS_RELEASE} in this clone's git history, and fetching it from origin failed ` +
          '(a shallow clone? run `git fetch --unshallow`)',
        { cause: error },
      );
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ordersource-previous-'));
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, PREVIOUS_RELEASE, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  execFileSync(path.join(dir, 'node_modules', '.bin', 'prisma'), ['generate'], {
    cwd: dir,
    // As the release's own postinstall runs it: offline, no schema engine needed to generate.
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
