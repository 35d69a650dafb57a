import type { RequestHandler } from 'express';

/** Request headers browser clients send beyond the CORS-safelisted ones. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'X-Correlation-Id',
  'traceparent',
  'Last-Event-ID',
  // Read-your-writes (query-api/src/consistency.ts).
  'Chirp-Min-Position',
];

/** Response headers a script may read; browsers hide every other non-safelisted header from it. */
const EXPOSED_HEADERS = ['Location', 'Retry-After', 'WWW-Authenticate', 'X-Correlation-Id', 'Idempotent-Replayed', 'Chirp-Stale'];

const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** How long a browser may reuse a preflight's answer: a day (browsers cap it lower anyway). */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/**
 * CORS for browser clients on other origins (the operators' dashboard calls the command API from
 * the query API's origin). The APIs authenticate with bearer tokens a script must attach, never
 * with cookies, so any origin may call them: a page on another origin gets nothing a token-less
 * request would not get. Hence `*` and no credentials. Every OPTIONS request is a preflight here
 * (no route answers OPTIONS otherwise) and gets a 204.
 */
export function cors(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS.join(', '));
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS.join(', '));
    res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
    res.status(204).end();
  };
}
