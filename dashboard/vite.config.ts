import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The server serves the build under /dashboard (src/dashboard/serveDashboard.ts). `vite dashboard`
// (npm run dashboard:dev) serves it with hot reload and passes /graphql, WebSocket included, to
// the server on DASHBOARD_API (default http://127.0.0.1:4000).
export default defineConfig(({ command }) => ({
  root,
  base: '/dashboard/',
  plugins: [react()],
  // Quiet inside `npm ci`; the dev server still prints its address.
  logLevel: command === 'build' ? 'warn' : 'info',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names go under assets/, which the server marks immutable.
    assetsDir: 'assets',
  },
  server: {
    proxy: { '/graphql': { target: process.env.DASHBOARD_API ?? 'http://127.0.0.1:4000', ws: true } },
  },
}));
