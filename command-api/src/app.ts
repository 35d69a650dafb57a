import type { Express } from 'express';
import type { EventStore } from '@chirp/event-store';
import type { Logger } from '@chirp/telemetry';
import { createJsonApp, defaultErrorLog, loggerErrorLog, notFound, problemHandler, type ErrorLog, type TokenService } from '@chirp/http-kit';
import { requireRegisteredUser } from './auth.ts';
import { idempotency } from './idempotency/middleware.ts';
import type { IdempotencyStore } from './idempotency/idempotency-store.ts';
import { RegisteredUsers } from './registered-users.ts';
import { followsRouter } from './routes/follows.ts';
import { profileRouter } from './routes/profile.ts';
import { registrationRouter } from './routes/registration.ts';
import { sessionsRouter } from './routes/sessions.ts';
import { tweetsRouter } from './routes/tweets.ts';
import { trendsRouter } from './routes/trends.ts';
import { adminProjectionsRouter, type ReplayStarter } from './routes/admin-projections.ts';

export interface CommandApiOptions {
  store: EventStore;
  tokens: TokenService;
  idempotencyStore: IdempotencyStore;
  /**
   * Secret keying the HMAC of Idempotency-Key request fingerprints. Default: a key derived from
   * the token service's signing secret (a server secret the deployment already manages).
   */
  fingerprintKey?: Uint8Array;
  /** Handles (lower-case) whose logins get the operator role. */
  operatorHandles?: ReadonlySet<string>;
  clock?: () => Date;
  /** Checked by /healthz; throws when the service cannot work. */
  healthCheck?: () => Promise<void>;
  /** Where unexpected errors are reported; default one JSON line on stderr (or `logger`'s error line). */
  log?: ErrorLog;
  /** One JSON line per request (request-telemetry.ts); default none. */
  logger?: Logger;
  /** Starts projection replays for operators (POST /v1/admin/projections/:name/replay); without it that route is a 404. */
  replays?: ReplayStarter;
}

export function createCommandApi(options: CommandApiOptions): Express {
  const app = createJsonApp({ bodyLimit: '4kb', ...(options.logger ? { logger: options.logger } : {}) });
  const log = options.log ?? (options.logger ? loggerErrorLog(options.logger) : defaultErrorLog);
  const deps = { store: options.store, clock: options.clock ?? (() => new Date()), log };
  const idempotent = idempotency(options.idempotencyStore, {
    fingerprintKey: options.fingerprintKey ?? options.tokens.deriveKey('idempotency-fingerprint'),
    log,
  });
  const users = new RegisteredUsers(options.store);
  const auth = requireRegisteredUser(options.tokens, users);
  app.get('/healthz', async (_req, res) => {
    await (options.healthCheck ?? (() => options.store.headPosition().then(() => undefined)))();
    res.json({ status: 'ok' });
  });
  app.use(registrationRouter(deps, idempotent));
  app.use(sessionsRouter(deps, options.tokens, options.operatorHandles ?? new Set()));
  app.use(profileRouter(deps, auth, idempotent));
  app.use(followsRouter(deps, users, auth, idempotent));
  app.use(tweetsRouter(deps, auth, idempotent));
  app.use(trendsRouter(deps, auth, idempotent));
  if (options.replays) app.use(adminProjectionsRouter(options.replays, auth));
  app.use(notFound);
  app.use(problemHandler(log));
  return app;
}
