import { createCommandApi, createSqlIdempotencyStore } from '@chirp/command-api';
import { createTokenService, type TokenService } from '@chirp/http-kit';
import { createQueryApi } from '@chirp/query-api';
import type { Logger } from '@chirp/telemetry';
import type { TimelineCache } from '@chirp/timeline-cache';
import { dashboardCommandUrl, type Config } from './config.ts';
import type { Database } from './database.ts';
import { listen, type RunningServer } from './http-server.ts';
import { ProjectionReplays } from './projection-replays.ts';
import { resolveJwtSecret } from './jwt-secret.ts';

export function tokenServiceFor(config: Config): TokenService {
  return createTokenService(resolveJwtSecret(config).secret, config.CHIRP_TOKEN_TTL_SECONDS);
}

/** The command API, listening on CHIRP_HOST:CHIRP_COMMAND_PORT. */
export async function startCommandApi(db: Database, config: Config, tokens: TokenService, logger?: Logger): Promise<RunningServer> {
  const replays = new ProjectionReplays(db, config);
  const app = createCommandApi({
    store: db.store,
    tokens,
    idempotencyStore: await createSqlIdempotencyStore(db.executor),
    operatorHandles: config.CHIRP_OPERATOR_HANDLES,
    replays,
    ...(logger ? { logger } : {}),
  });
  const server = await listen(app, config.CHIRP_HOST, config.CHIRP_COMMAND_PORT, { shutdownGraceMs: config.CHIRP_SHUTDOWN_GRACE_MS });
  return {
    url: server.url,
    close: async () => {
      // No new replay can start once the server is closed; running ones drop their shadows
      // while the database is still open.
      await server.close();
      await replays.stop();
    },
  };
}

export interface QueryApiServices {
  /** The home timeline's cache; without it timelines are served from SQL. */
  timelineCache?: TimelineCache;
  logger?: Logger;
  /** Where the dashboard sends commands; default CHIRP_DASHBOARD_COMMAND_URL or its default (config.ts). */
  dashboardCommandUrl?: string;
}

/** The query API, listening on CHIRP_HOST:CHIRP_QUERY_PORT. */
export async function startQueryApi(db: Database, config: Config, tokens: TokenService, services: QueryApiServices = {}): Promise<RunningServer> {
  const { timelineCache, logger } = services;
  const api = createQueryApi({
    db: db.executor,
    store: db.store,
    tokens,
    consistencyWaitMs: config.CHIRP_CONSISTENCY_WAIT_MS,
    recordCacheMs: config.CHIRP_RECORD_CACHE_MS,
    pulledListCacheMs: config.CHIRP_PULLED_LIST_CACHE_MS,
    trendMinAuthors: config.CHIRP_TREND_MIN_AUTHORS,
    ...(timelineCache ? { homeTimeline: { db: db.executor, cache: timelineCache } } : {}),
    ...(logger ? { logger } : {}),
    dashboard: { commandApiUrl: services.dashboardCommandUrl ?? dashboardCommandUrl(config) },
  });
  let server: RunningServer;
  try {
    server = await listen(api.app, config.CHIRP_HOST, config.CHIRP_QUERY_PORT, { shutdownGraceMs: config.CHIRP_SHUTDOWN_GRACE_MS });
  } catch (error) {
    api.close();
    throw error;
  }
  return {
    url: server.url,
    close: async () => {
      // Reads waiting for a position answer at once (marked stale) instead of holding the shutdown.
      api.close();
      await server.close();
    },
  };
}
