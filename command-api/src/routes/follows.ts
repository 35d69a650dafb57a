import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { fold, followDecider, streams, type FollowCommand } from '@chirp/domain';
import { parseParams, principalOf } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import type { RegisteredUsers } from '../registered-users.ts';
import { runStreamCommand, type CommandDeps } from '../stream-command.ts';

const FolloweeParams = z.object({ userId: z.uuid('must be a user id') });

/** Follows are decided on the pair's own stream (`follow-<follower>-<followee>`), see follow.ts. */
export function followsRouter(deps: CommandDeps, users: RegisteredUsers, auth: RequestHandler[], idempotent: RequestHandler): Router {
  const router = Router();
  const follows =
    (type: FollowCommand['type']): RequestHandler =>
    async (req, res) => {
      const { userId: followeeId } = parseParams(FolloweeParams, req.params);
      const { userId: followerId } = principalOf(res);
      // Looked up once: users are never removed, so a followee that exists keeps existing.
      const command: FollowCommand =
        type === 'Follow'
          ? { type, followerId, followeeId, followeeExists: await users.exists(followeeId) }
          : { type, followerId, followeeId };
      const outcome = await runStreamCommand(deps, {
        command: type,
        streamId: streams.follow(followerId, followeeId),
        decide: (pair) => followDecider.decide(fold(followDecider, pair.events), command),
        metadata: commandMetadata(req, followerId),
        eventIds: commandIdsOf(res).eventIds('follow'),
      });
      res.status(202).json({ position: outcome.position });
    };
  router.put('/v1/users/me/following/:userId', ...auth, idempotent, follows('Follow'));
  router.delete('/v1/users/me/following/:userId', ...auth, idempotent, follows('Unfollow'));
  return router;
}
