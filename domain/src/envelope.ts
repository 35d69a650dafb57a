import { z } from 'zod';

/** Who caused an event and in which request: carried unchanged by every store and feed. */
export const EventMetadata = z.object({
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  actorUserId: z.string().nullable(),
  traceparent: z.string().optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/** An event as handed to the store: everything but the store-assigned stream revision and position. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  eventId: string;
  type: Type;
  data: Data;
  schemaVersion: number;
  /** ISO-8601 UTC timestamp of when the command was decided. */
  occurredAt: string;
  metadata: EventMetadata;
}

/** An event as read back from the store. */
export interface StoredEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  streamId: string;
  /** 0-based index of the event in its stream. */
  streamRevision: number;
  /**
   * Global position: strictly increasing in the order readers of the whole log see events,
   * sparse (gaps are normal). Safe to compare; not a count.
   */
  position: number;
}
