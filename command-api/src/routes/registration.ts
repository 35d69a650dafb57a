import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { DisplayName, Handle, handleDecider, fold, streams, userDecider, type EventMetadata } from '@chirp/domain';
import { parseBody, ProblemError } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import { hashPassword } from '../passwords.ts';
import { runStreamCommand, type CommandDeps } from '../stream-command.ts';

const Registration = z
  .object({
    handle: Handle,
    password: z.string().min(8, 'at least 8 characters').max(200),
    displayName: DisplayName,
  })
  .strict();

/**
 * Registration is two appends: the handle's reservation (expect no stream, or a released one),
 * then the user's own stream. If the second fails and the user provably was not registered, the
 * reservation is released again, so a failed registration does not keep the handle.
 *
 * The handle's events get fresh ids even under an Idempotency-Key: a re-run converges on the
 * reservation through the domain (reserving for the same user decides nothing), and a re-run
 * after a release must be able to reserve again, which a derived id (already used) could not.
 */
export function registrationRouter(deps: CommandDeps, idempotent: RequestHandler): Router {
  const router = Router();
  router.post('/v1/users', idempotent, async (req, res) => {
    const { handle, password, displayName } = parseBody(Registration, req.body);
    const ids = commandIdsOf(res);
    const userId = ids.entityId;
    const metadata = commandMetadata(req, userId);
    const passwordHash = await hashPassword(password);
    await runStreamCommand(deps, {
      streamId: streams.handle(handle),
      decide: (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReserveHandle', handle, userId }),
      metadata,
    }).catch((error: unknown) => {
      // Lost a race for the same handle: the other registration won it.
      if (error instanceof ProblemError && error.status === 409) throw new ProblemError(409, `handle ${handle} is taken`, { code: 'HandleTaken' });
      throw error;
    });
    let position: number;
    try {
      ({ position } = await runStreamCommand(deps, {
        streamId: streams.user(userId),
        decide: (u) => userDecider.decide(fold(userDecider, u.events), { type: 'RegisterUser', userId, handle, displayName, passwordHash }),
        metadata,
        eventIds: ids.eventIds('register'),
      }));
    } catch (error) {
      await releaseUnlessRegistered(deps, handle, userId, metadata, error);
      throw error;
    }
    res.status(201).location(`/v1/users/${handle}`).json({ userId, handle, position });
  });
  return router;
}

/**
 * After the user append failed. A failure does not prove nothing was written: a COMMIT whose
 * answer was lost may have registered the user. Releasing then would let someone else take the
 * handle of a live user, so the handle is released only when a fresh read shows no user stream;
 * when even that read fails, the reservation stays (and is logged). Never throws: the caller
 * rethrows the original error, which a failing release must not replace.
 */
async function releaseUnlessRegistered(deps: CommandDeps, handle: string, userId: string, metadata: EventMetadata, cause: unknown) {
  try {
    if ((await deps.store.readStream(streams.user(userId), { limit: 1 })).length > 0) return;
  } catch (readError) {
    deps.log(`registration of ${handle} failed and whether user ${userId} exists is unknown; the handle stays reserved`, {
      cause,
      readError,
    });
    return;
  }
  try {
    await runStreamCommand(deps, {
      streamId: streams.handle(handle),
      decide: (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReleaseHandle', handle, userId }),
      metadata,
    });
  } catch (releaseError) {
    deps.log(`registration of ${handle} failed and releasing the handle failed too; it stays reserved`, { cause, releaseError });
  }
}
