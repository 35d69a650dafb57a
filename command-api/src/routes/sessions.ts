import { Router } from 'express';
import { z } from 'zod';
import { fold, Handle, handleDecider, streams, userDecider } from '@chirp/domain';
import { parseBody, ProblemError, type TokenService } from '@chirp/http-kit';
import { decoyPasswordHash, verifyPassword } from '../passwords.ts';
import { loadStream, type CommandDeps } from '../stream-command.ts';

// The domain's Handle: anything else cannot name a user, and a malformed one (a NUL, say) must
// be refused here, not reach the store.
const Login = z.object({ handle: Handle, password: z.string().min(1).max(200) }).strict();

/**
 * Logging in reads the write side (the handle's and the user's streams), not a read model, so a
 * user can log in the moment registration answered.
 */
export function sessionsRouter(deps: CommandDeps, tokens: TokenService, operatorHandles: ReadonlySet<string>): Router {
  const router = Router();
  router.post('/v1/sessions', async (req, res) => {
    const { handle, password } = parseBody(Login, req.body);
    const reservation = fold(handleDecider, (await loadStream(deps.store, streams.handle(handle))).events);
    const user =
      reservation.status === 'reserved' ? fold(userDecider, (await loadStream(deps.store, streams.user(reservation.userId))).events) : undefined;
    // Unknown handles cost a real hash check too, so timing does not reveal which handles exist.
    const valid = await verifyPassword(password, user?.status === 'registered' ? user.passwordHash : await decoyPasswordHash);
    if (!valid || user?.status !== 'registered') throw new ProblemError(401, 'unknown handle or wrong password', { code: 'BadCredentials' });
    const roles = operatorHandles.has(user.handle.toLowerCase()) ? ['operator'] : [];
    const accessToken = await tokens.issue({ userId: user.userId, handle: user.handle, roles });
    res.status(200).json({ accessToken, tokenType: 'Bearer', userId: user.userId, handle: user.handle, roles });
  });
  return router;
}
