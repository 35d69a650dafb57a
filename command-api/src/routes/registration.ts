import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { DisplayName, Handle } from '@chirp/domain';
import { parseBody } from '@chirp/http-kit';
import { commandIdsOf } from '../command-ids.ts';
import { commandMetadata } from '../command-metadata.ts';
import { registerUser } from '../register-user.ts';
import type { CommandDeps } from '../stream-command.ts';

const Registration = z
  .object({
    handle: Handle,
    password: z.string().min(8, 'at least 8 characters').max(200),
    displayName: DisplayName,
  })
  .strict();

/** `POST /v1/users`: registration through the domain (register-user.ts); the new user is the actor. */
export function registrationRouter(deps: CommandDeps, idempotent: RequestHandler): Router {
  const router = Router();
  router.post('/v1/users', idempotent, async (req, res) => {
    const { handle, password, displayName } = parseBody(Registration, req.body);
    const ids = commandIdsOf(res);
    const userId = ids.entityId;
    const position = await registerUser(deps, { userId, handle, password, displayName, metadata: commandMetadata(req, userId), eventIds: ids.eventIds('register') });
    res.status(201).location(`/v1/users/${handle}`).json({ userId, handle, position });
  });
  return router;
}
