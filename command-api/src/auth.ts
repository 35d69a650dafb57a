import type { RequestHandler } from 'express';
import { invalidTokenProblem, principalOf, requireAuth, type TokenService } from '@chirp/http-kit';
import type { RegisteredUsers } from './registered-users.ts';

/**
 * A valid bearer token whose user exists. A token outlives what it names: after a database reset
 * (or any loss of the user's stream) a still-valid token must not create tweets, likes or follows
 * by a user nobody can see. A user already seen costs nothing; others one short read.
 */
export function requireRegisteredUser(tokens: TokenService, users: RegisteredUsers): RequestHandler[] {
  const registered: RequestHandler = async (_req, res, next) => {
    if (!(await users.exists(principalOf(res).userId))) throw invalidTokenProblem('the access token names a user that does not exist');
    next();
  };
  return [requireAuth(tokens), registered];
}
