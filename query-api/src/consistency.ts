import type { Request, Response } from 'express';
import { z } from 'zod';
import type { SqlQueryable } from '@chirp/event-store';
import { minCheckpoint } from '@chirp/projectors/status/reader';
import { ProblemError } from '@chirp/http-kit';

const Position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Read-your-writes. A client passes the position a command answered with (`?minPosition=` or the
 * `Chirp-Min-Position` header); the read waits until every projection it reads has applied that
 * position, up to `waitMs`. If they have not by then, it answers with what it has and marks the
 * answer `Chirp-Stale: true` instead of failing.
 */
export async function awaitProjections(
  db: SqlQueryable,
  req: Request,
  res: Response,
  projections: readonly string[],
  waitMs: number,
): Promise<void> {
  const raw = (req.query.minPosition as string | undefined) ?? req.get('chirp-min-position');
  if (raw === undefined) return;
  const parsed = Position.safeParse(raw);
  if (!parsed.success)
    throw new ProblemError(400, 'the request is not valid', { errors: [{ pointer: '#/query/minPosition', detail: 'must be a non-negative integer position' }] });
  const wanted = parsed.data;
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    const reached = await minCheckpoint(db, projections);
    if (reached >= wanted) return;
    if (Date.now() >= deadline) {
      res.setHeader('Chirp-Stale', 'true');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
    pause = Math.min(pause * 2, 50);
  }
}
