import type { RequestHandler, Response } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { ProblemError, type ErrorLog } from '@chirp/http-kit';
import { keyedCommandIds, setCommandIds } from '../command-ids.ts';
import type { IdempotencyStore, RecordedAnswer } from './idempotency-store.ts';
import { keyScope, requestFingerprint } from './request-identity.ts';

const keyPattern = /^[\x21-\x7e]{1,255}$/;
/** Headers that belong to an answer and are replayed with it. */
const replayedHeaders = ['location'];

export interface IdempotencyOptions {
  /** Server secret keying the request fingerprints. */
  fingerprintKey: Uint8Array;
  log: ErrorLog;
}

/**
 * `Idempotency-Key` support (IETF httpapi draft semantics): the first answer to a key is stored
 * and replayed to retries with `Idempotent-Replayed: true`; reusing a key for another request is
 * 422; a retry while the first is still running is 409.
 *
 * A key is released for a new run only when its run answered something a retry could change
 * (5xx, 409, 429). Never because the client went away: the command keeps running after a
 * disconnect, and its answer is what the client's retry must get. A new run of a key reuses the
 * key's ids (command-ids.ts), so it finds what an earlier run appended instead of appending again.
 */
export function idempotency(store: IdempotencyStore, options: IdempotencyOptions): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!keyPattern.test(key)) throw new ProblemError(400, 'Idempotency-Key must be 1-255 visible ASCII characters');
    const scope = keyScope(req, res);
    const begun = await store.begin(scope, key, requestFingerprint(req, options.fingerprintKey), uuidv7());
    switch (begun.kind) {
      case 'replay':
        return replay(res, begun.answer);
      case 'mismatch':
        throw new ProblemError(422, 'this Idempotency-Key was already used for a different request', { code: 'IdempotencyKeyReused' });
      case 'in_progress':
        throw new ProblemError(409, 'a request with this Idempotency-Key is still being processed', { code: 'IdempotencyKeyInProgress' });
      case 'started':
        setCommandIds(res, keyedCommandIds(scope, key, begun.seed));
        recordAnswer(res, store, scope, key, options.log);
        return next();
    }
  };
}

function replay(res: Response, answer: RecordedAnswer): void {
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('Idempotent-Replayed', 'true');
  if (answer.status >= 400) res.type('application/problem+json');
  res.status(answer.status).json(answer.body);
}

/** Records the run's answer (every route answers with res.json, problems included) before sending it. */
function recordAnswer(res: Response, store: IdempotencyStore, scope: string, key: string, log: ErrorLog): void {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    res.json = json; // recorded once; anything after goes straight out
    const status = res.statusCode;
    // A retry of these can succeed, so they are not remembered as the key's answer.
    const retryable = status >= 500 || status === 409 || status === 429;
    const headers: Record<string, string> = {};
    for (const name of replayedHeaders) {
      const value = res.getHeader(name);
      if (typeof value === 'string') headers[name] = value;
    }
    const recorded = retryable ? store.abandon(scope, key) : store.complete(scope, key, { status, body, headers });
    // If recording fails the client still gets its answer; the key stays held until its lease
    // ends, and a retry after that re-runs the command, which converges on what this run did.
    recorded.catch((error: unknown) => log(`recording the answer for Idempotency-Key ${key} failed`, error)).finally(() => json(body));
    return res;
  };
}
