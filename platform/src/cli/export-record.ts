import type { StoredEvent } from '@chirp/domain/envelope';

/**
 * One exported event: the stored envelope, with its keys in a fixed order (the order the store's
 * decoder happens to produce is not a promise), so exports of the same events are byte-identical
 * and diff well.
 */
export function exportRecord(event: StoredEvent): string {
  return JSON.stringify({
    position: event.position,
    eventId: event.eventId,
    streamId: event.streamId,
    streamRevision: event.streamRevision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    data: event.data,
    metadata: event.metadata,
  });
}
