import type { StoredEvent } from '@chirp/domain/envelope';
import type { EventOf, EventType } from '@chirp/domain/events';

/** What a secret field's value is replaced with in what the operator routes send. */
export const REDACTED = '[redacted]';

/**
 * The payload fields of domain/src/events.ts that hold secrets, by event type: they stay in the
 * log, but never leave the server through the operator routes. A new secret field is one line
 * here (a name that is not a field of that type's payload does not compile).
 */
const secretFields: { readonly [T in EventType]?: readonly (keyof EventOf<T>['data'] & string)[] } = {
  UserRegistered: ['passwordHash'],
};

/**
 * A stored event as the operator routes send it (the live tail's SSE frames and a stream's
 * history): the envelope's fields in a fixed order, secret payload fields replaced by REDACTED.
 */
export function operatorEventView(event: StoredEvent) {
  const { position, streamId, streamRevision, eventId, type, schemaVersion, occurredAt, data, metadata } = event;
  return { position, streamId, streamRevision, eventId, type, schemaVersion, occurredAt, data: redact(type, data), metadata };
}

function redact(type: string, data: unknown): unknown {
  const secrets: readonly string[] | undefined = Object.hasOwn(secretFields, type) ? secretFields[type as EventType] : undefined;
  if (!secrets || data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const copy: Record<string, unknown> = { ...data };
  for (const field of secrets) if (Object.hasOwn(copy, field)) copy[field] = REDACTED;
  return copy;
}
