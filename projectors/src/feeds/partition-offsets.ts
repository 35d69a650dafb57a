import type { StoredEvent } from '@chirp/domain/envelope';
import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';
import { applyDecodedEvents, decodeBatch } from '../apply-batch.ts';
import { CHECKPOINT_TABLE } from '../checkpoints.ts';
import type { Projection } from '../projection.ts';
import { toNumber } from '../sql-values.ts';

/**
 * Where a projection fed by Kafka stands (docs/event-bus.md, "The consumer side"): per partition
 * of the topic, the offset to resume from and the last relay position marker applied. Both move in
 * the transaction that applies the partition's batch to the read model, so a batch is applied
 * exactly once however often Kafka delivers it — the offsets in Kafka are never used.
 *
 * A marker P in a partition follows every event ≤ P of that partition and precedes every later
 * one (the relay sends it after the batch ending at P was acknowledged), so once every partition
 * applied a marker ≥ P, every event ≤ P is applied: the projection's checkpoint position is the
 * minimum marker over the topic's partitions, and keeps meaning what read-your-writes
 * (`Chirp-Min-Position`) needs.
 */
export const PARTITION_OFFSETS_TABLE = 'projection_partition_offsets';

export async function ensurePartitionOffsetTable(db: SqlQueryable): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS ${PARTITION_OFFSETS_TABLE} (
    projection      text NOT NULL,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    next_offset     bigint,
    marker_position bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
  )`);
}

/**
 * Rows for partitions 0..count-1: new ones start with no offset (read from the earliest) and
 * marker 0; existing rows are left as they are. Every partition needs its row before the
 * projection's position can move: the minimum is over the rows.
 */
export async function registerPartitions(db: SqlQueryable, projection: string, topic: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO ${PARTITION_OFFSETS_TABLE} (projection, topic, partition)
     SELECT $1, $2, p FROM generate_series(0, $3::int - 1) AS p
     ON CONFLICT (projection, topic, partition) DO NOTHING`,
    [projection, topic, count],
  );
}

/** The stored offset per partition, to seek to on assignment; null: start from the earliest. */
export async function readPartitionOffsets(db: SqlQueryable, projection: string, topic: string): Promise<Map<number, number | null>> {
  const { rows } = await db.query<{ partition: unknown; next_offset: unknown }>(
    `SELECT partition, next_offset FROM ${PARTITION_OFFSETS_TABLE} WHERE projection = $1 AND topic = $2 ORDER BY partition`,
    [projection, topic],
  );
  return new Map(rows.map((r) => [toNumber(r.partition), r.next_offset === null ? null : toNumber(r.next_offset)]));
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  /** The stored next_offset this batch starts from (null: none stored yet) — compare-and-set. */
  expectedOffset: number | null;
  /** offset + 1 of the batch's last message. */
  nextOffset: number;
  /** The events of the batch's messages, in offset order (markers left out). */
  events: readonly StoredEvent[];
  /** The highest relay position marker among the batch's messages, or null. */
  markerPosition: number | null;
}

/**
 * The partition is not where the batch expected it: another consumer instance applied it (a
 * rebalance moved the partition while this one still held a batch of it), or the partition was
 * never registered. Nothing was applied; the consumer seeks back to the stored offset.
 */
export class PartitionOffsetConflictError extends Error {
  constructor(
    readonly projection: string,
    readonly topic: string,
    readonly partition: number,
    readonly expectedOffset: number | null,
  ) {
    super(
      `partition ${partition} of ${topic} for projection ${projection} is not at offset ${expectedOffset ?? 'none'}: ` +
        'another consumer moved it, or it is not registered; nothing was applied',
    );
    this.name = 'PartitionOffsetConflictError';
  }
}

/**
 * One transaction: move the partition's offset by compare-and-set (and raise its marker), apply
 * the batch's events (decoded by the catalogue; a decode or apply failure is a
 * ProjectionApplyError and rolls everything back), then raise the projection's checkpoint
 * position to the lowest marker over the topic's partitions.
 */
export async function applyPartitionBatch(executor: SqlExecutor, projection: Projection, batch: PartitionBatch): Promise<void> {
  await executor.transaction(async (tx) => {
    const moved = await tx.query(
      `UPDATE ${PARTITION_OFFSETS_TABLE}
          SET next_offset = $4, marker_position = GREATEST(marker_position, COALESCE($5::bigint, 0)), updated_at = now()
        WHERE projection = $1 AND topic = $2 AND partition = $3 AND next_offset IS NOT DISTINCT FROM $6::bigint`,
      [projection.name, batch.topic, batch.partition, batch.nextOffset, batch.markerPosition, batch.expectedOffset],
    );
    if (moved.rowCount !== 1) throw new PartitionOffsetConflictError(projection.name, batch.topic, batch.partition, batch.expectedOffset);
    const { decoded } = decodeBatch(projection, batch.events);
    await applyDecodedEvents(tx, projection, decoded);
    await tx.query(
      `UPDATE ${CHECKPOINT_TABLE}
          SET position = GREATEST(position, (SELECT min(marker_position) FROM ${PARTITION_OFFSETS_TABLE} WHERE projection = $1 AND topic = $2)),
              applied_total = applied_total + $3, updated_at = now()
        WHERE name = $1`,
      [projection.name, batch.topic, batch.events.length],
    );
  });
}
