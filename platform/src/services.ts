import { createCommandApi, createSqlIdempotencyStore } from '@chirp/command-api';
import { createTokenService, type TokenService } from '@chirp/http-kit';
import { createQueryApi } from '@chirp/query-api';
import type { Express } from 'express';
import type { Config } from './config.ts';
import type { Database } from './database.ts';
import { resolveJwtSecret } from './jwt-secret.ts';

export function tokenServiceFor(config: Config): TokenService {
  return createTokenService(resolveJwtSecret(config).secret, config.CHIRP_TOKEN_TTL_SECONDS);
}

export async function buildCommandApi(db: Database, config: Config, tokens: TokenService): Promise<Express> {
  return createCommandApi({
    store: db.store,
    tokens,
    idempotencyStore: await createSqlIdempotencyStore(db.executor),
    operatorHandles: config.CHIRP_OPERATOR_HANDLES,
  });
}

export function buildQueryApi(db: Database, config: Config, tokens: TokenService): Express {
  return createQueryApi({ db: db.executor, store: db.store, tokens, consistencyWaitMs: config.CHIRP_CONSISTENCY_WAIT_MS });
}
