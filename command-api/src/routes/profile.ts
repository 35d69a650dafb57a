import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { Bio, DisplayName, fold, streams, userDecider } from '@chirp/domain';
import { parseBody, principalOf } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import { runStreamCommand, type CommandDeps } from '../stream-command.ts';

const ProfilePatch = z
  .object({ displayName: DisplayName.optional(), bio: Bio.optional() })
  .strict()
  .refine((p) => p.displayName !== undefined || p.bio !== undefined, 'give displayName or bio');

export function profileRouter(deps: CommandDeps, auth: RequestHandler[], idempotent: RequestHandler): Router {
  const router = Router();
  router.patch('/v1/users/me', ...auth, idempotent, async (req, res) => {
    const patch = parseBody(ProfilePatch, req.body);
    const { userId } = principalOf(res);
    const outcome = await runStreamCommand(deps, {
      command: 'UpdateProfile',
      streamId: streams.user(userId),
      decide: (u) => userDecider.decide(fold(userDecider, u.events), { type: 'UpdateProfile', userId, ...patch }),
      metadata: commandMetadata(req, userId),
      eventIds: commandIdsOf(res).eventIds('profile'),
    });
    res.status(202).json({ position: outcome.position });
  });
  return router;
}
