import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { parseParams, ProblemError, requireRole } from '@chirp/http-kit';

/** What the command API needs to start a replay; the platform runs it (platform/src/projection-replays.ts). */
export interface ReplayStarter {
  start(name: string): 'started' | 'running' | 'unknown';
}

const ProjectionParams = z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a projection name') });

const operatorsOnly = requireRole('operator', 'only operators may replay projections');

/**
 * `POST /v1/admin/projections/:name/replay`: rebuilds a projection from position 0 beside the live
 * one and switches to it (docs/projections.md). 202 at once — a replay takes as long as the log
 * is long; `/v1/projections` on the query API shows its progress. 409 while one runs.
 */
export function adminProjectionsRouter(replays: ReplayStarter, auth: RequestHandler[]): Router {
  const router = Router();
  router.post('/v1/admin/projections/:name/replay', ...auth, operatorsOnly, (req, res) => {
    const { name } = parseParams(ProjectionParams, req.params);
    const outcome = replays.start(name);
    if (outcome === 'unknown') throw new ProblemError(404, `no projection named ${name}`);
    if (outcome === 'running') throw new ProblemError(409, `a replay of ${name} is already running`);
    res.status(202).json({ projection: name, status: '/v1/projections' });
  });
  return router;
}
