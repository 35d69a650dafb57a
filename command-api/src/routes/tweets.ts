import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { engagementDecider, fold, streams, tweetDecider, TweetText, type EngagementCommand } from '@chirp/domain';
import { parseBody, parseParams, principalOf } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import { loadStream, runStreamCommand, type CommandDeps } from '../stream-command.ts';

const NewTweet = z.object({ text: TweetText, replyToTweetId: z.uuid('must be a tweet id').optional() }).strict();
const TweetParams = z.object({ id: z.uuid('must be a tweet id') });

export function tweetsRouter(deps: CommandDeps, auth: RequestHandler[], idempotent: RequestHandler): Router {
  const router = Router();

  router.post('/v1/tweets', ...auth, idempotent, async (req, res) => {
    const { text, replyToTweetId } = parseBody(NewTweet, req.body);
    const { userId } = principalOf(res);
    const ids = commandIdsOf(res);
    const tweetId = ids.entityId;
    const outcome = await runStreamCommand(deps, {
      command: 'PostTweet',
      streamId: streams.tweet(tweetId),
      decide: async (t) => {
        const replyTargetExists = replyToTweetId === undefined ? undefined : await tweetIsLive(deps, replyToTweetId);
        return tweetDecider.decide(fold(tweetDecider, t.events), {
          type: 'PostTweet',
          tweetId,
          authorId: userId,
          text,
          ...(replyToTweetId === undefined ? {} : { replyToTweetId, replyTargetExists }),
        });
      },
      metadata: commandMetadata(req, userId),
      eventIds: ids.eventIds('post'),
      // A fresh id (or the Idempotency-Key's seed): no read of a stream that cannot exist yet.
      expectNewStream: true,
    });
    res.status(202).location(`/v1/tweets/${tweetId}`).json({ tweetId, position: outcome.position });
  });

  router.delete('/v1/tweets/:id', ...auth, idempotent, async (req, res) => {
    const { id } = parseParams(TweetParams, req.params);
    const { userId } = principalOf(res);
    const outcome = await runStreamCommand(deps, {
      command: 'DeleteTweet',
      streamId: streams.tweet(id),
      decide: (t) => tweetDecider.decide(fold(tweetDecider, t.events), { type: 'DeleteTweet', tweetId: id, actorUserId: userId }),
      metadata: commandMetadata(req, userId),
      eventIds: commandIdsOf(res).eventIds('delete'),
    });
    res.status(202).json({ position: outcome.position });
  });

  const engagement =
    (type: EngagementCommand['type']): RequestHandler =>
    async (req, res) => {
      const { id } = parseParams(TweetParams, req.params);
      const { userId } = principalOf(res);
      const outcome = await runStreamCommand(deps, {
        command: type,
        streamId: streams.engagement(id, userId),
        decide: async (mine) => {
          // The tweet's own (short) stream says whether it exists and is deleted; the decision's
          // consistency boundary is the engagement stream, whose revision the append checks.
          const tweet = await loadStream(deps.store, streams.tweet(id));
          return engagementDecider.decide(fold(engagementDecider, [...tweet.events, ...mine.events]), { type, userId });
        },
        metadata: commandMetadata(req, userId),
        eventIds: commandIdsOf(res).eventIds('engagement'),
      });
      res.status(202).json({ position: outcome.position });
    };

  router.post('/v1/tweets/:id/retweet', ...auth, idempotent, engagement('Retweet'));
  router.delete('/v1/tweets/:id/retweet', ...auth, idempotent, engagement('UndoRetweet'));
  router.post('/v1/tweets/:id/like', ...auth, idempotent, engagement('Like'));
  router.delete('/v1/tweets/:id/like', ...auth, idempotent, engagement('Unlike'));

  return router;
}

async function tweetIsLive(deps: CommandDeps, tweetId: string): Promise<boolean> {
  return fold(tweetDecider, (await loadStream(deps.store, streams.tweet(tweetId))).events).status === 'posted';
}
