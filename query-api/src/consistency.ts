import type { Request, Response } from 'express';
import { z } from 'zod';
import { fieldErrors, parseQuery, ProblemError } from '@chirp/http-kit';
import type { CheckpointWatcher } from './checkpoint-watcher.ts';

/** Digits only: no sign, no blank, no hex, no exponent — a position is what a command answered. */
const PositionText = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer position (digits only)')
  .transform(Number)
  .refine(Number.isSafeInteger, 'is larger than any position');

// Loose: the other query parameters belong to the endpoint's own parsers.
const MinPositionQuery = z.looseObject({ minPosition: PositionText.optional() });
const MinPositionHeader = z.object({ 'chirp-min-position': PositionText.optional() });

/** The position a read must reflect (the larger, if both the query and the header give one). */
export function requestedPosition(req: Request): number | undefined {
  // Most reads ask for no position: skip both parsers then (this runs on every timeline read).
  if ((req.query as Record<string, unknown>).minPosition === undefined && req.get('chirp-min-position') === undefined) return undefined;
  const { minPosition } = parseQuery(MinPositionQuery, req.query);
  const header = parseHeaders(MinPositionHeader, { 'chirp-min-position': req.get('chirp-min-position') })['chirp-min-position'];
  if (minPosition === undefined) return header;
  return header === undefined ? minPosition : Math.max(minPosition, header);
}

/** Header errors point at `#/headers/<lower-case name>`, as body and query errors point at theirs. */
function parseHeaders<S extends z.ZodType>(schema: S, headers: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(headers);
  if (result.success) return result.data;
  throw new ProblemError(400, 'the request is not valid', { errors: fieldErrors(result.error, 'headers') });
}

/**
 * Read-your-writes. A client passes the position a command answered with (`?minPosition=` or the
 * `Chirp-Min-Position` header); the read waits until every projection it reads has applied that
 * position, up to `waitMs`. If they have not by then, it answers with what it has and marks the
 * answer `Chirp-Stale: true` instead of failing. Resolves to the position the projections are now
 * known to have applied (0 when none was asked for, or the wait timed out).
 */
export async function awaitProjections(
  watcher: CheckpointWatcher,
  req: Request,
  res: Response,
  projections: readonly string[],
  waitMs: number,
): Promise<number> {
  const wanted = requestedPosition(req);
  if (wanted === undefined || wanted === 0) return 0; // every projection has applied position 0
  if (await watcher.waitFor(projections, wanted, waitMs)) return wanted;
  res.setHeader('Chirp-Stale', 'true');
  return 0;
}
