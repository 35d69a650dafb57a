import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { fold, Hashtag, streams, trendDecider, type TrendCommand } from '@chirp/domain';
import { parseParams, principalOf, requireRole } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import { runStreamCommand, type CommandDeps } from '../stream-command.ts';

// '#Rust' and 'rust' name the same tag: hashtags are stored lower-case, without '#'.
const TagParams = z.object({ tag: z.string().transform((t) => t.replace(/^#/, '').toLowerCase()).pipe(Hashtag) });

/** Only a token with the operator role (CHIRP_OPERATOR_HANDLES) may hide or show trends. */
const operatorsOnly = requireRole('operator', 'only operators may hide or show trends');

/** Operators hide a hashtag from trends and show it again, on the tag's own stream (domain/src/trend.ts). */
export function trendsRouter(deps: CommandDeps, auth: RequestHandler[], idempotent: RequestHandler): Router {
  const router = Router();
  const decide =
    (type: TrendCommand['type']): RequestHandler =>
    async (req, res) => {
      const { tag } = parseParams(TagParams, req.params);
      const { userId } = principalOf(res);
      const outcome = await runStreamCommand(deps, {
        command: type,
        streamId: streams.trend(tag),
        decide: (s) => trendDecider.decide(fold(trendDecider, s.events), { type, tag, operatorId: userId }),
        metadata: commandMetadata(req, userId),
        eventIds: commandIdsOf(res).eventIds('trend'),
      });
      res.status(202).json({ tag, position: outcome.position });
    };
  router.put('/v1/admin/trends/hidden/:tag', ...auth, operatorsOnly, idempotent, decide('HideTrend'));
  router.delete('/v1/admin/trends/hidden/:tag', ...auth, operatorsOnly, idempotent, decide('ShowTrend'));
  return router;
}
