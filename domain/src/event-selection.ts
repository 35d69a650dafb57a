import type { StoredEvent } from './envelope.ts';

/** Which events an operator follows: any of these types, this stream, this acting user (each optional). */
export interface EventSelection {
  types?: ReadonlySet<string>;
  streamId?: string;
  /** `metadata.actorUserId`: the user whose command appended the event. */
  actorUserId?: string;
}

/** The predicate for a selection: an event matches every criterion given. */
export function selectsEvent(selection: EventSelection): (event: StoredEvent) => boolean {
  const { types, streamId, actorUserId } = selection;
  return (event) =>
    (types === undefined || types.has(event.type)) &&
    (streamId === undefined || event.streamId === streamId) &&
    (actorUserId === undefined || event.metadata.actorUserId === actorUserId);
}
