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
 * - `readsTables` lists the tables the projection owns (and its reader reads); a replay, and a
 *   raise of `version`, rebuilds them from position 0 beside the live ones and swaps them in
 *   (replay/replay-projection.ts).
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly readsTables?: readonly string[];
  readonly handles?: readonly EventType[];
  /**
   * Optional: `apply` reads only the envelope (type, position, time, stream, metadata), never
   * `data`. Its events are then handed over without validating their payloads against the
   * catalogue — work it would not use (a fifth of event-rates' replay, measured) — and a payload
   * that fails validation, which stalls the projections that read payloads, does not stall it.
   */
  readonly envelopeOnly?: boolean;
  setup(db: SqlQueryable): Promise<void>;
  /**
   * Optional: `CREATE INDEX IF NOT EXISTS` statements for indexes only readers use — the
   * projection's own writes never read through them. They are created right after `setup`, except
   * in a replay's shadow, which builds them once after its catch-up: one sort over the finished
   * table instead of a random b-tree insert per row (replay/replay-projection.ts). An index never
   * changes a result, so listing one here wrongly costs time, never correctness.
   */
  readonly readerIndexes?: readonly string[];
  apply(tx: SqlQueryable, event: ProjectedEvent): Promise<void>;
  /**
   * Optional: applies several events (in delivery order, all of types in `handles`) with exactly
   * the effect of applying them one by one with `apply`, but set-based. The runner calls it with
   * a batch's events inside the batch transaction; a failure names one event of the batch
   * (`BatchApplyError`), and the runner's one-by-one retry pins down the exact one.
   */
  applyBatch?(tx: SqlQueryable, events: readonly ProjectedEvent[]): Promise<void>;
  /**
   * Optional, for replays (replay/replay-projection.ts): `replica` is the projection to build the
   * shadow with when this one has side effects outside its tables (the home timeline's cache:
   * the shadow must not fan out into live lists), and `afterReplay` brings those side effects in
   * line once the new tables are live.
   */
  readonly replica?: Projection;
  afterReplay?(): Promise<void>;
}

export type EventHandlers = {
  [K in EventType]?: (tx: SqlQueryable, event: ProjectedEventOf<K>) => Promise<void>;
};

/**
 * Set-based forms of handlers: one call for a run of consecutive events. The same function may be
 * given for several types (e.g. Followed and Unfollowed): consecutive events whose types map to
 * the same function form one run. A run handler must have exactly the effect of the single-event
 * handlers applied in order — duplicates, stale revisions and several events for one key included.
 */
export type RunHandlers = {
  [K in EventType]?: (tx: SqlQueryable, events: readonly ProjectedEventOf<K>[]) => Promise<void>;
};

/** `applyBatch` failed: `event` is the event whose handler threw, or the first of the failing run. */
export class BatchApplyError extends Error {
  constructor(
    readonly event: ProjectedEvent,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'BatchApplyError';
  }
}

export interface ProjectionDefinition {
  name: string;
  version: number;
  readsTables: readonly string[];
  setup(db: SqlQueryable): Promise<void>;
  readerIndexes?: readonly string[];
  /** One handler per event type of interest; `handles` and `apply` are derived from it. */
  on: EventHandlers;
  /** Set-based forms of some of `on`'s handlers; with them the projection gets `applyBatch`. */
  runs?: RunHandlers;
}

/** Builds a Projection from a handler map (Bluesky-indexer style: one small object per model). */
export function defineProjection(def: ProjectionDefinition): Projection {
  const handles = Object.keys(def.on) as EventType[];
  const single = (type: EventType) => def.on[type] as ((tx: SqlQueryable, e: ProjectedEvent) => Promise<void>) | undefined;
  const run = (type: EventType) => def.runs?.[type] as RunHandler | undefined;
  const projection: Projection = {
    name: def.name,
    version: def.version,
    readsTables: def.readsTables,
    handles,
    setup: def.setup,
    ...(def.readerIndexes ? { readerIndexes: def.readerIndexes } : {}),
    async apply(tx, event) {
      const handler = single(event.type);
      if (handler) await handler(tx, event);
    },
  };
  if (!def.runs) return projection;
  return {
    ...projection,
    async applyBatch(tx, events) {
      for (const group of runsOf(events, run)) {
        try {
          if (group.handler) await group.handler(tx, group.events);
          else await projection.apply(tx, group.events[0]!);
        } catch (err) {
          throw new BatchApplyError(group.events[0]!, err);
        }
      }
    },
  };
}

type RunHandler = (tx: SqlQueryable, events: readonly ProjectedEvent[]) => Promise<void>;

/**
 * Splits events into maximal runs of consecutive events that share a run handler; an event
 * without one is a group of its own (handler undefined: apply it alone).
 */
function runsOf(
  events: readonly ProjectedEvent[],
  handlerOf: (type: EventType) => RunHandler | undefined,
): { handler: RunHandler | undefined; events: ProjectedEvent[] }[] {
  const groups: { handler: RunHandler | undefined; events: ProjectedEvent[] }[] = [];
  for (const event of events) {
    const handler = handlerOf(event.type);
    const last = groups.at(-1);
    if (handler && last?.handler === handler) last.events.push(event);
    else groups.push({ handler, events: [event] });
  }
  return groups;
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
