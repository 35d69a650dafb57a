import type { Request } from 'express';
import type { EventMetadata } from '@chirp/domain';
import { requestIdsOf } from '@chirp/http-kit';
import { activeTraceparent, validTraceparent } from '@chirp/telemetry';

/**
 * Metadata every event of a request carries: the request's correlation id (the caller's
 * `X-Correlation-Id`, or the request's own id), the request itself as the cause, the acting
 * user, and the W3C trace context: the request's server span when tracing records — so each
 * projector's span can link back to it — else the caller's `traceparent` as given.
 */
export function commandMetadata(req: Request, actorUserId: string | null): EventMetadata {
  const { requestId, correlationId } = requestIdsOf(req);
  const metadata: EventMetadata = { correlationId, causationId: `request:${requestId}`, actorUserId };
  const traceparent = activeTraceparent() ?? validTraceparent(req.get('traceparent'));
  if (traceparent) metadata.traceparent = traceparent;
  return metadata;
}
