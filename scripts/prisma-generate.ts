import { spawnSync } from 'node:child_process';

// `prisma generate` needs no schema engine, but the CLI tries to download one unless told where
// it is; pointing it at a no-op binary keeps generation offline (see shared notes: prisma-offline).
const result = spawnSync('prisma', ['generate'], {
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.platform === 'win32' ? 'cmd.exe' : '/bin/true',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
