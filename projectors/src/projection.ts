import type { StoredEvent } from '@chirp/domain/envelope';
import { parseEvent, type EventOf, type EventType } from '@chirp/domain/events';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';

/** A stored event whose payload was validated by the event catalogue, narrowed by its type. */
export type ProjectedEvent = { [K in EventType]: StoredEvent<K, EventOf<K>['data']> }[EventType];
export type ProjectedEventOf<K extends EventType> = StoredEvent<K, EventOf<K>['data']>;

/**
 * A projection: a small object that owns some tables and folds events into them.
 * - `setup` is idempotent DDL (CREATE … IF NOT EXISTS); it runs before the first batch.
 * - `apply` runs inside the runner's batch transaction; it must be idempotent and tolerant of
 *   events arriving late or twice (the runner delivers exactly once, but future feeds will not).
 * - `handles` lists the event types `apply` cares about; the runner skips every other event
 *   without decoding it, so new event types never break an old projection.
 * - `readsTables` lists the tables the projection owns (and its reader reads); they are dropped
 *   and rebuilt from position 0 when `version` is raised.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly readsTables?: readonly string[];
  readonly handles?: readonly EventType[];
  setup(db: SqlQueryable): Promise<void>;
  apply(tx: SqlQueryable, event: ProjectedEvent): Promise<void>;
}

export type EventHandlers = {
  [K in EventType]?: (tx: SqlQueryable, event: ProjectedEventOf<K>) => Promise<void>;
};

export interface ProjectionDefinition {
  name: string;
  version: number;
  readsTables: readonly string[];
  setup(db: SqlQueryable): Promise<void>;
  /** One handler per event type of interest; `handles` and `apply` are derived from it. */
  on: EventHandlers;
}

/** Builds a Projection from a handler map (Bluesky-indexer style: one small object per model). */
export function defineProjection(def: ProjectionDefinition): Projection {
  const handles = Object.keys(def.on) as EventType[];
  return {
    name: def.name,
    version: def.version,
    readsTables: def.readsTables,
    handles,
    setup: def.setup,
    async apply(tx, event) {
      const handler = def.on[event.type] as ((tx: SqlQueryable, e: ProjectedEvent) => Promise<void>) | undefined;
      if (handler) await handler(tx, event);
    },
  };
}

/** Whether the projection wants this event type (projections without `handles` get everything). */
export function projectionHandles(projection: Projection, type: string): boolean {
  return projection.handles === undefined || (projection.handles as readonly string[]).includes(type);
}

/** Validates a stored event's payload against the catalogue; throws on unknown types or bad data. */
export function decodeEvent(event: StoredEvent): ProjectedEvent {
  const parsed = parseEvent(event.type, event.data);
  return { ...event, type: parsed.type, data: parsed.data } as ProjectedEvent;
}
