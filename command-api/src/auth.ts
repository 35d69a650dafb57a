import type { RequestHandler } from 'express';
import { streams } from '@chirp/domain';
import type { EventStore } from '@chirp/event-store';
import { invalidTokenProblem, principalOf, requireAuth, type TokenService } from '@chirp/http-kit';

/** Whether a user is registered: the first event of their stream says so. */
export async function userExists(store: EventStore, userId: string): Promise<boolean> {
  const [first] = await store.readStream(streams.user(userId), { limit: 1 });
  return first?.type === 'UserRegistered';
}

/**
 * A valid bearer token whose user exists. A token outlives what it names: after a database reset
 * (or any loss of the user's stream) a still-valid token must not create tweets, likes or follows
 * by a user nobody can see. One short read per command.
 */
export function requireRegisteredUser(tokens: TokenService, store: EventStore): RequestHandler[] {
  const registered: RequestHandler = async (_req, res, next) => {
    if (!(await userExists(store, principalOf(res).userId))) throw invalidTokenProblem('the access token names a user that does not exist');
    next();
  };
  return [requireAuth(tokens), registered];
}
