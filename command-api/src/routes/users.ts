import { Router } from 'express';
import { z } from 'zod';
import { Bio, DisplayName, Handle, handleDecider, fold, streams, userDecider, type ChirpEvent } from '@chirp/domain';
import { parseBody, ProblemError, principalOf, requireAuth, type TokenService } from '@chirp/http-kit';
import { v7 as uuidv7 } from 'uuid';
import { commandMetadata } from '../command-metadata.ts';
import { hashPassword } from '../passwords.ts';
import { runStreamCommand, type CommandDeps } from '../stream-command.ts';
import type { RequestHandler } from 'express';

const Registration = z.object({
  handle: Handle,
  password: z.string().min(8, 'at least 8 characters').max(200),
  displayName: DisplayName,
});

const ProfilePatch = z
  .object({ displayName: DisplayName.optional(), bio: Bio.optional() })
  .strict()
  .refine((p) => p.displayName !== undefined || p.bio !== undefined, 'give displayName or bio');

export function usersRouter(deps: CommandDeps, tokens: TokenService, idempotent: RequestHandler): Router {
  const router = Router();

  /**
   * Registration is two appends: the handle's reservation (expect no stream, or a released one),
   * then the user's own stream. If the second fails the reservation is released again, so a
   * failed registration does not keep the handle.
   */
  router.post('/v1/users', idempotent, async (req, res) => {
    const { handle, password, displayName } = parseBody(Registration, req.body);
    const userId = uuidv7();
    const metadata = commandMetadata(req, userId);
    const passwordHash = await hashPassword(password);
    const handleStream = streams.handle(handle);
    await runStreamCommand(deps, handleStream, (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReserveHandle', handle, userId }), metadata).catch(
      (error: unknown) => {
        // Lost a race for the same handle: the other registration won it.
        if (error instanceof ProblemError && error.status === 409) throw new ProblemError(409, `handle ${handle} is taken`, { code: 'HandleTaken' });
        throw error;
      },
    );
    try {
      const registered = await runStreamCommand(
        deps,
        streams.user(userId),
        (u) => userDecider.decide(fold(userDecider, u.events), { type: 'RegisterUser', userId, handle, displayName, passwordHash }),
        metadata,
      );
      res.status(201).location(`/v1/users/${handle}`).json({ userId, handle, position: registered.position });
    } catch (error) {
      await runStreamCommand(deps, handleStream, (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReleaseHandle', handle, userId }), metadata);
      throw error;
    }
  });

  router.patch('/v1/users/me', requireAuth(tokens), idempotent, async (req, res) => {
    const patch = parseBody(ProfilePatch, req.body);
    const { userId } = principalOf(res);
    const outcome = await runStreamCommand(
      deps,
      streams.user(userId),
      (u) => userDecider.decide(fold(userDecider, u.events), { type: 'UpdateProfile', userId, ...patch }),
      commandMetadata(req, userId),
    );
    res.status(202).json({ position: outcome.position });
  });

  const FolloweeParams = z.object({ userId: z.uuid('must be a user id') });

  router.put('/v1/users/me/following/:userId', requireAuth(tokens), idempotent, async (req, res) => {
    const { userId: followeeId } = parseBody(FolloweeParams, req.params);
    const { userId } = principalOf(res);
    const outcome = await runStreamCommand(
      deps,
      streams.user(userId),
      async (u) => {
        const followeeExists = followeeId !== userId && (await userExists(deps, followeeId));
        return userDecider.decide(fold(userDecider, u.events), { type: 'Follow', followerId: userId, followeeId, followeeExists });
      },
      commandMetadata(req, userId),
    );
    res.status(202).json({ position: outcome.position });
  });

  router.delete('/v1/users/me/following/:userId', requireAuth(tokens), idempotent, async (req, res) => {
    const { userId: followeeId } = parseBody(FolloweeParams, req.params);
    const { userId } = principalOf(res);
    const outcome = await runStreamCommand(
      deps,
      streams.user(userId),
      (u) => userDecider.decide(fold(userDecider, u.events), { type: 'Unfollow', followerId: userId, followeeId }),
      commandMetadata(req, userId),
    );
    res.status(202).json({ position: outcome.position });
  });

  return router;
}

async function userExists(deps: CommandDeps, userId: string): Promise<boolean> {
  const [first] = await deps.store.readStream(streams.user(userId), { limit: 1 });
  return first?.type === ('UserRegistered' satisfies ChirpEvent['type']);
}
