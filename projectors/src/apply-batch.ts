import type { StoredEvent } from '@chirp/domain/envelope';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { advanceCheckpoint, type ProjectionState } from './checkpoints.ts';
import { BatchApplyError, decodeEvent, projectionHandles, type ProjectedEvent, type Projection } from './projection.ts';

/**
 * An event could not be applied: its payload failed the catalogue (`kind` 'decode') or the
 * projection's `apply` threw (`kind` 'apply'). Names the projection and the event; the message
 * carries the cause's full message (SQL errors included) for operators.
 */
export class ProjectionApplyError extends Error {
  readonly position: number;
  readonly eventId: string;
  readonly eventType: string;
  constructor(
    readonly projection: string,
    event: StoredEvent,
    override readonly cause: unknown,
    readonly kind: 'decode' | 'apply' = 'apply',
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    const what = kind === 'decode' ? 'cannot decode' : 'failed on';
    super(`projection ${projection} ${what} event at position ${event.position} (${event.type} ${event.eventId}): ${reason}`);
    this.name = 'ProjectionApplyError';
    this.position = event.position;
    this.eventId = event.eventId;
    this.eventType = event.type;
  }
}

/** A batch read from the store, with the events the projection handles decoded. */
export interface DecodedBatch {
  readonly events: readonly StoredEvent[];
  readonly decoded: readonly ProjectedEvent[];
}

/**
 * Decodes the events the projection handles (others are skipped undecoded). Separate from
 * applying, so a replay can decode the next batch while the database applies this one.
 */
export function decodeBatch(projection: Projection, events: readonly StoredEvent[]): DecodedBatch {
  const decoded: ProjectedEvent[] = [];
  for (const event of events) {
    if (!projectionHandles(projection, event.type)) continue;
    // Its type is one the projection handles, hence a known one; its data is never read.
    if (projection.envelopeOnly) {
      decoded.push(event as ProjectedEvent);
      continue;
    }
    try {
      decoded.push(decodeEvent(event));
    } catch (err) {
      throw new ProjectionApplyError(projection.name, event, err, 'decode');
    }
  }
  return { events, decoded };
}

/**
 * One batch, inside the caller's transaction: the checkpoint moves from `from` to the batch's last
 * position by compare-and-set, then the events the projection handles are decoded (unless the
 * batch comes decoded, `decodeBatch`) and applied —
 * set-based through `applyBatch` when it has one, else one by one. The runner's batches and a
 * replay's shadow batches (replay/replay-projection.ts) are this same step.
 */
export async function applyBatchInTransaction(
  tx: SqlQueryable,
  projection: Projection,
  batch: readonly StoredEvent[] | DecodedBatch,
  checkpoint: { from: number; state: ProjectionState; eventsPerSecond: number },
): Promise<void> {
  const { events, decoded } = 'decoded' in batch ? batch : decodeBatch(projection, batch);
  await advanceCheckpoint(tx, {
    name: projection.name,
    version: projection.version,
    from: checkpoint.from,
    to: events[events.length - 1]!.position,
    applied: events.length,
    state: checkpoint.state,
    eventsPerSecond: checkpoint.eventsPerSecond,
  });
  await applyDecodedEvents(tx, projection, decoded);
}

/**
 * Applies decoded events inside the caller's transaction — set-based through `applyBatch` when
 * the projection has one, else one by one — naming the failing event (ProjectionApplyError).
 * The checkpoint is the caller's: a position (above) or a Kafka partition's offset
 * (feeds/partition-offsets.ts).
 */
export async function applyDecodedEvents(tx: SqlQueryable, projection: Projection, decoded: readonly ProjectedEvent[]): Promise<void> {
  if (projection.applyBatch && decoded.length > 1) {
    try {
      await projection.applyBatch(tx, decoded);
    } catch (err) {
      if (err instanceof BatchApplyError) throw new ProjectionApplyError(projection.name, err.event, err.cause, 'apply');
      throw new ProjectionApplyError(projection.name, decoded[0]!, err, 'apply');
    }
    return;
  }
  for (const event of decoded) {
    try {
      await projection.apply(tx, event);
    } catch (err) {
      throw new ProjectionApplyError(projection.name, event, err, 'apply');
    }
  }
}
