import { fold, handleDecider, streams, userDecider, type EventMetadata } from '@chirp/domain';
import { ProblemError } from '@chirp/http-kit';
import type { EventIds } from './command-ids.ts';
import { hashPassword } from './passwords.ts';
import { runStreamCommand, type CommandDeps } from './stream-command.ts';

export interface Registration {
  userId: string;
  /** Already valid (the domain's Handle). */
  handle: string;
  password: string;
  displayName: string;
  metadata: EventMetadata;
  /** Ids of the user stream's events; fresh unless the registration runs under an Idempotency-Key. */
  eventIds?: EventIds;
}

/**
 * Registers a user through the domain — the one path both `POST /v1/users` and start-up accounts
 * (platform's operator account) take. Two appends: the handle's reservation (expect no stream, or
 * a released one), then the user's own stream. If the second fails and the user provably was not
 * registered, the reservation is released again, so a failed registration does not keep the
 * handle. A handle someone else holds is a 409 `HandleTaken`. Resolves to the position of the
 * registration.
 *
 * The handle's events get fresh ids even under an Idempotency-Key: a re-run converges on the
 * reservation through the domain (reserving for the same user decides nothing), and a re-run
 * after a release must be able to reserve again, which a derived id (already used) could not.
 */
export async function registerUser(deps: CommandDeps, registration: Registration): Promise<number> {
  const { userId, handle, displayName, metadata } = registration;
  const passwordHash = await hashPassword(registration.password);
  await runStreamCommand(deps, {
    command: 'ReserveHandle',
    streamId: streams.handle(handle),
    decide: (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReserveHandle', handle, userId }),
    metadata,
  }).catch((error: unknown) => {
    // Lost a race for the same handle: the other registration won it.
    if (error instanceof ProblemError && error.status === 409) throw new ProblemError(409, `handle ${handle} is taken`, { code: 'HandleTaken' });
    throw error;
  });
  try {
    const { position } = await runStreamCommand(deps, {
      command: 'RegisterUser',
      streamId: streams.user(userId),
      decide: (u) => userDecider.decide(fold(userDecider, u.events), { type: 'RegisterUser', userId, handle, displayName, passwordHash }),
      metadata,
      ...(registration.eventIds ? { eventIds: registration.eventIds } : {}),
    });
    return position;
  } catch (error) {
    await releaseUnlessRegistered(deps, handle, userId, metadata, error);
    throw error;
  }
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
      command: 'ReleaseHandle',
      streamId: streams.handle(handle),
      decide: (h) => handleDecider.decide(fold(handleDecider, h.events), { type: 'ReleaseHandle', handle, userId }),
      metadata,
    });
  } catch (releaseError) {
    deps.log(`registration of ${handle} failed and releasing the handle failed too; it stays reserved`, { cause, releaseError });
  }
}
