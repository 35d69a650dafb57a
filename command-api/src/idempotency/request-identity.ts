import { createHmac } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Principal } from '@chirp/http-kit';

/**
 * Whose key it is: the user's for an authenticated call. Anonymous callers cannot be told apart,
 * so their keys are scoped by the route (method + path pattern): the same key sent to two
 * endpoints is two keys, not a 422.
 */
export function keyScope(req: Request, res: Response): string {
  const principal = res.locals.principal as Principal | undefined;
  if (principal) return `user:${principal.userId}`;
  const path = typeof req.route?.path === 'string' ? `${req.baseUrl}${req.route.path}` : req.path;
  return `anonymous:${req.method} ${path}`;
}

/**
 * What makes two requests "the same request" for a key. An HMAC under a server secret, not a
 * plain hash: the body of a registration holds a password, and an unkeyed hash of it in the
 * database could be dictionary-attacked by anyone who can read the table.
 */
export function requestFingerprint(req: Request, secret: Uint8Array): string {
  return createHmac('sha256', secret)
    .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
    .digest('base64url');
}
