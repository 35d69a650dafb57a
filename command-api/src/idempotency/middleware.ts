import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ProblemError } from '@chirp/http-kit';
import type { IdempotencyStore } from './idempotency-store.ts';

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` support (IETF httpapi draft semantics): the first answer to a key is stored
 * and replayed to retries with `Idempotent-Replayed: true`; reusing a key for another request is
 * 422; a retry while the first is still running is 409. Answers a retry could change (5xx, 409,
 * 429) are not stored. Keys are scoped to the caller (user id, or the route for anonymous calls).
 */
export function idempotency(store: IdempotencyStore): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!keyPattern.test(key)) throw new ProblemError(400, 'Idempotency-Key must be 1-255 visible ASCII characters');
    const principal = res.locals.principal as { userId: string } | undefined;
    const scope = principal ? `user:${principal.userId}` : 'anonymous';
    const fingerprint = createHash('sha256')
      .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
      .digest('base64url');
    const begun = await store.begin(scope, key, fingerprint);
    switch (begun.kind) {
      case 'replay':
        res.setHeader('Idempotent-Replayed', 'true');
        if (begun.status >= 400) res.type('application/problem+json');
        res.status(begun.status).json(begun.body);
        return;
      case 'mismatch':
        throw new ProblemError(422, 'this Idempotency-Key was already used for a different request', { code: 'IdempotencyKeyReused' });
      case 'in_progress':
        throw new ProblemError(409, 'a request with this Idempotency-Key is still being processed', { code: 'IdempotencyKeyInProgress' });
      case 'started':
        break;
    }
    const json = res.json.bind(res);
    let settled = false;
    res.json = (body: unknown) => {
      settled = true;
      const status = res.statusCode;
      // A retry of these can succeed, so they are not remembered as the key's answer.
      const retryable = status >= 500 || status === 409 || status === 429;
      const done = retryable ? store.abandon(scope, key) : store.complete(scope, key, status, body);
      done.then(
        () => json(body),
        (error: unknown) => next(error),
      );
      return res;
    };
    res.on('close', () => {
      if (!settled) void store.abandon(scope, key).catch(() => {});
    });
    next();
  };
}
