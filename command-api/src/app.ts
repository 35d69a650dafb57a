import type { Express } from 'express';
import type { EventStore } from '@chirp/event-store';
import { createJsonApp, notFound, problemHandler, type TokenService } from '@chirp/http-kit';
import { idempotency } from './idempotency/middleware.ts';
import type { IdempotencyStore } from './idempotency/idempotency-store.ts';
import { sessionsRouter } from './routes/sessions.ts';
import { tweetsRouter } from './routes/tweets.ts';
import { usersRouter } from './routes/users.ts';

export interface CommandApiOptions {
  store: EventStore;
  tokens: TokenService;
  idempotencyStore: IdempotencyStore;
  /** Handles (lower-case) whose logins get the operator role. */
  operatorHandles?: ReadonlySet<string>;
  clock?: () => Date;
  /** Checked by /healthz; throws when the service cannot work. */
  healthCheck?: () => Promise<void>;
}

export function createCommandApi(options: CommandApiOptions): Express {
  const app = createJsonApp({ bodyLimit: '4kb' });
  const deps = { store: options.store, clock: options.clock ?? (() => new Date()) };
  const idempotent = idempotency(options.idempotencyStore);
  app.get('/healthz', async (_req, res) => {
    await (options.healthCheck ?? (() => options.store.headPosition().then(() => undefined)))();
    res.json({ status: 'ok' });
  });
  app.use(usersRouter(deps, options.tokens, idempotent));
  app.use(sessionsRouter(deps, options.tokens, options.operatorHandles ?? new Set()));
  app.use(tweetsRouter(deps, options.tokens, idempotent));
  app.use(notFound);
  app.use(problemHandler());
  return app;
}

