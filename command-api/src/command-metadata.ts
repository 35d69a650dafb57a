import type { Request } from 'express';
import type { EventMetadata } from '@chirp/domain';
import { v7 as uuidv7 } from 'uuid';

const headerId = /^[A-Za-z0-9._:-]{1,128}$/;
const traceparentPattern = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Metadata every event of a request carries: the caller's correlation id (or a new one), the
 * request itself as the cause, the acting user, and the W3C trace context when there is one.
 */
export function commandMetadata(req: Request, actorUserId: string | null): EventMetadata {
  const given = req.get('x-correlation-id');
  const requestId = uuidv7();
  const metadata: EventMetadata = {
    correlationId: given && headerId.test(given) ? given : requestId,
    causationId: `request:${requestId}`,
    actorUserId,
  };
  const traceparent = req.get('traceparent');
  if (traceparent && traceparentPattern.test(traceparent)) metadata.traceparent = traceparent;
  return metadata;
}
