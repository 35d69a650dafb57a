# syntax=docker/dockerfile:1
#
# One image for every Chirp process; docker-compose.yml picks the entry point per service
# (command API, query API, projectors, relay). No build step: the services run their TypeScript
# with tsx (`node --import tsx …`), which is why tsx is a runtime dependency in package.json.
#
#   docker build -t chirp .
#   docker run --rm -p 3001:3001 -p 3002:3002 -e CHIRP_HOST=0.0.0.0 -e CHIRP_JWT_SECRET=… chirp
#
# The default command is `npm start`'s entry (everything in one process, embedded PGlite in
# /app/data); docs/deployment.md describes the distributed topology.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: production dependencies only, from the lockfile -------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# The lockfile and every workspace's package.json: enough for npm to install and to link the
# workspaces (node_modules/@chirp/* -> ../../<workspace>). Sources come in the runtime stage, so a
# code change does not invalidate this layer.
COPY package.json package-lock.json ./
COPY domain/package.json domain/
COPY event-store/package.json event-store/
COPY event-bus/package.json event-bus/
COPY timeline-cache/package.json timeline-cache/
COPY telemetry/package.json telemetry/
COPY http-kit/package.json http-kit/
COPY projectors/package.json projectors/
COPY command-api/package.json command-api/
COPY query-api/package.json query-api/
COPY platform/package.json platform/
# The `chirp` CLI's bin file, so npm can link node_modules/.bin/chirp.
COPY platform/bin platform/bin
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CHIRP_HOST=0.0.0.0
WORKDIR /app
# node_modules (with the workspace links) and the package.json files. Owned by root and read-only
# for the service user: the processes never write to their own code.
COPY --from=deps /app ./
# tsx reads the compiler options (verbatimModuleSyntax, isolatedModules) from these.
COPY tsconfig.base.json tsconfig.json ./
COPY domain/src domain/src
COPY event-store/src event-store/src
COPY event-bus/src event-bus/src
COPY timeline-cache/src timeline-cache/src
COPY telemetry/src telemetry/src
COPY http-kit/src http-kit/src
COPY projectors/src projectors/src
COPY command-api/src command-api/src
COPY query-api/src query-api/src
# The operators' dashboard page (static files the query API serves at /dashboard).
COPY query-api/dashboard query-api/dashboard
COPY platform/src platform/src
# CHIRP_DATA_DIR (./data) is the only place a Chirp process writes to disk, and only with embedded
# PGlite (the default command); the distributed services keep everything in their servers.
RUN mkdir -p /app/data && chown node:node /app/data
# The official Node image's unprivileged user (uid 1000).
USER node
# 9464: /metrics and /healthz when OpenTelemetry is on (docs/observability.md).
EXPOSE 3001 3002 9464
# No HEALTHCHECK here: what is healthy depends on the entry point, so docker-compose.yml defines
# one per service (GET /healthz for the APIs).
CMD ["node", "--import", "tsx", "platform/src/bin/start-all.ts"]
