import type { StoredEvent } from '@chirp/domain/envelope';
import { decodeKafkaRecord, type DeliveredPartitionBatch } from '@chirp/event-bus';
import type { PartitionBatch } from './partition-offsets.ts';

/**
 * A partition's delivered messages → what applyPartitionBatch applies: the events in offset order,
 * and the highest relay position marker among them. A message that is neither a valid event nor a
 * valid marker throws MalformedKafkaMessageError (naming topic, partition and offset): the whole
 * batch is refused and the partition stalls there; nothing is skipped.
 */
export function toPartitionBatch(delivered: DeliveredPartitionBatch): PartitionBatch {
  const events: StoredEvent[] = [];
  let markerPosition: number | null = null;
  for (const message of delivered.messages) {
    const record = decodeKafkaRecord(message);
    if (record.kind === 'event') events.push(record.event);
    else markerPosition = Math.max(markerPosition ?? 0, record.position);
  }
  return {
    topic: delivered.topic,
    partition: delivered.partition,
    expectedOffset: delivered.expectedOffset,
    nextOffset: delivered.nextOffset,
    events,
    markerPosition,
  };
}
