# syntax=docker/dockerfile:1
# Arbiter's image. It runs `node dist/src/main.js` against the PostgreSQL in DATABASE_URL; the same image applies the
# migrations with `npm run db:migrate` (docker-compose.yml's `migrate` service). See README, "Deployment".

# --- build: all dependencies, the Prisma client, the compiled JavaScript --------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Then drop the dev dependencies, so the runtime stage copies a production node_modules.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies, dist/, and what the Prisma CLI needs to migrate --------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
# `prisma` is a runtime dependency: migrations run through its CLI (scripts/prisma.mjs, prisma.config.ts).
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma.config.ts ./
# Without DATABASE_URL Arbiter keeps an embedded PostgreSQL under ./.arbiter; the non-root user must own it.
RUN mkdir -p /app/.arbiter && chown node:node /app/.arbiter
USER node
EXPOSE 3000
# Liveness only; load balancers should route on GET /readyz (database reachable and migrated).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
