import {
  consumePartitions,
  fetchPartitionCount,
  MalformedKafkaMessageError,
  PartitionOffsetGapError,
  type DeliveredPartitionBatch,
  type PartitionConsumer,
  type PartitionFailure,
} from '@chirp/event-bus';
import type { SqlExecutor } from '@chirp/event-store/sql/executor';
import { ProjectionApplyError } from '../apply-batch.ts';
import { CHECKPOINT_TABLE, recordFailure, recordState, type ProjectionErrorKind, type ProjectionState } from '../checkpoints.ts';
import { hasOlderVersion, holdSetupLock, prepareProjection } from '../prepare-projection.ts';
import type { Projection } from '../projection.ts';
import {
  applyPartitionBatch,
  ensurePartitionOffsetTable,
  PartitionOffsetConflictError,
  readPartitionOffsets,
  registerPartitions,
} from './partition-offsets.ts';
import { toPartitionBatch } from './kafka-batch.ts';
import type { Logger } from '@chirp/telemetry';
import { tracedBatch } from '../batch-telemetry.ts';
import { failureCallback } from '../failure-callback.ts';

/** Where a projection is fed from Kafka (docs/event-bus.md, "The consumer side"). */
export interface KafkaFeedOptions {
  brokers: readonly string[];
  topic: string;
  clientId: string;
  /** Consumer group; default `chirp-projector-<projection name>`: one group per projection. */
  groupId?: string;
  /** Start-up budget for reaching a broker; default 5 s. */
  connectTimeoutMs?: number;
  /** First retry delay of a partition after a failure, doubling; default 200 ms. */
  initialBackoffMs?: number;
  /** Retry delay cap; default 30 s. */
  maxBackoffMs?: number;
  /** Consecutive failures of a partition after which the projection is 'stalled'; default 3. */
  stallAfterFailures?: number;
  /** Called on every failed batch (default: console.warn). */
  onError?: (error: Error, info: KafkaFailureInfo) => void;
  /** kafkajs's own warnings and the consumer's log lines; default console.warn of JSON. */
  log?: (line: Record<string, unknown>) => void;
  /** Where each applied batch is logged (one line per batch); default nowhere. */
  logger?: Logger;
}

export interface KafkaFailureInfo extends PartitionFailure {
  projection: string;
  stalled: boolean;
  /** null: not a failure of the projection (another instance took the partition: re-sought, not recorded). */
  kind: ProjectionErrorKind | null;
}

export type KafkaConsumerStatus = 'idle' | 'running' | 'stopped';

/** The database holds an older version of the projection: the topic may not hold its whole history. */
export class KafkaFeedRebuildError extends Error {
  constructor(projection: string) {
    super(
      `projection ${projection} is at an older version in the database: rebuild it from the event store first ` +
        '(start it once with CHIRP_FEED=store, or the replay tool); the Kafka topic keeps only recent events',
    );
    this.name = 'KafkaFeedRebuildError';
  }
}

/**
 * One projection fed from the Kafka topic instead of the event store. Every instance joins the
 * projection's consumer group; each partition's batch is applied in ONE transaction that moves the
 * partition's stored offset by compare-and-set (partition-offsets.ts), so a partition held by two
 * instances during a rebalance is applied once, and a restart resumes at the stored offset. The
 * projection's checkpoint position is the lowest relay marker over all partitions, so read-your-
 * writes (`Chirp-Min-Position`) keeps its meaning. A message that is not a valid event or marker
 * stalls its partition (recorded on the checkpoint row, retried with backoff), never skipped.
 */
export class KafkaProjectionConsumer {
  private readonly stallAfter: number;
  private readonly onError: (error: Error, info: KafkaFailureInfo) => void;
  private consumer: PartitionConsumer | null = null;
  private status: KafkaConsumerStatus = 'idle';
  /** Lag (events) of each partition this instance applied a batch of: 'running' once all are at 0. */
  private readonly lag = new Map<number, number>();
  /** What this instance last wrote to the row's state columns (null: nothing yet, or an error to clear). */
  private recorded: ProjectionState | null = null;

  constructor(
    private readonly executor: SqlExecutor,
    readonly projection: Projection,
    private readonly options: KafkaFeedOptions,
  ) {
    this.stallAfter = options.stallAfterFailures ?? 3;
    this.onError = failureCallback(options.onError, (error, info) =>
      console.warn(`[projector ${info.projection}] ${info.stalled ? 'stalled' : 'failed'} (${info.consecutiveFailures} consecutive): ${error.message}`),
    );
  }

  get name(): string {
    return this.projection.name;
  }
  get state(): KafkaConsumerStatus {
    return this.status;
  }
  get groupId(): string {
    return this.options.groupId ?? `chirp-projector-${this.projection.name}`;
  }
  /** Partitions this instance holds now. */
  get partitions(): readonly number[] {
    return this.consumer?.assigned ?? [];
  }

  /**
   * Reaches the brokers first (fails fast naming them, touching nothing), then prepares the
   * projection and its partition rows, then joins the group. Resolves once consuming.
   */
  async start(): Promise<void> {
    if (this.status === 'running') throw new Error(`projection ${this.name} is already running`);
    const { brokers, topic, clientId } = this.options;
    const connection = {
      brokers,
      clientId,
      ...(this.options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: this.options.connectTimeoutMs }),
      ...(this.options.log ? { log: this.options.log } : {}),
    };
    const partitionCount = await fetchPartitionCount({ ...connection, topic });
    if (await hasOlderVersion(this.executor, this.projection)) throw new KafkaFeedRebuildError(this.name);
    await prepareProjection(this.executor, this.projection);
    await this.executor.transaction(async (tx) => {
      // CREATE TABLE IF NOT EXISTS races across processes: serialised with prepareProjection's set-up.
      await holdSetupLock(tx);
      await ensurePartitionOffsetTable(tx);
      await registerPartitions(tx, this.name, topic, partitionCount);
    });
    this.lag.clear();
    this.recorded = null;
    this.consumer = await consumePartitions({
      ...connection,
      groupId: this.groupId,
      topic,
      ...(this.options.initialBackoffMs === undefined ? {} : { initialBackoffMs: this.options.initialBackoffMs }),
      ...(this.options.maxBackoffMs === undefined ? {} : { maxBackoffMs: this.options.maxBackoffMs }),
      storedOffsets: (partitions) => this.storedOffsets(partitions),
      eachBatch: (batch) => this.apply(batch),
      onFailure: (error, failure) => this.failed(error, failure),
    });
    this.status = 'running';
  }

  /** Lets the batch in flight commit, leaves the group, marks the checkpoint 'stopped'. */
  async stop(): Promise<void> {
    if (this.status !== 'running') return;
    await this.consumer?.stop();
    this.consumer = null;
    this.status = 'stopped';
    await recordState(this.executor, this.name, this.projection.version, 'stopped').catch(() => {});
  }

  /** The stored offsets; a partition added to the topic since start gets its row first. */
  private async storedOffsets(partitions: readonly number[]): Promise<Map<number, number | null>> {
    let stored = await readPartitionOffsets(this.executor, this.name, this.options.topic);
    if (partitions.some((p) => !stored.has(p))) {
      await registerPartitions(this.executor, this.name, this.options.topic, Math.max(...partitions) + 1);
      stored = await readPartitionOffsets(this.executor, this.name, this.options.topic);
    }
    return stored;
  }

  private async apply(delivered: DeliveredPartitionBatch): Promise<void> {
    const batch = toPartitionBatch(delivered); // MalformedKafkaMessageError: the partition stalls here
    const apply = () => applyPartitionBatch(this.executor, this.projection, batch);
    // A batch of only position markers applies nothing worth a span.
    if (batch.events.length === 0) await apply();
    else await tracedBatch(batch.events, { projection: this.name, feed: 'kafka', partition: batch.partition, ...(this.options.logger ? { logger: this.options.logger } : {}) }, apply);
    this.lag.set(delivered.partition, Math.max(0, delivered.highWatermark - delivered.nextOffset));
    await this.recordHealthy();
  }

  /**
   * applyPartitionBatch moves the position, not the state columns: write them when they change
   * (and clear a recorded failure once a batch went through). Several instances write one row;
   * each writes what it sees of its own partitions — a status, not a guarantee.
   */
  private async recordHealthy(): Promise<void> {
    const state: ProjectionState = [...this.lag.values()].every((l) => l === 0) ? 'running' : 'catching_up';
    if (state === this.recorded) return;
    await this.executor.query(
      `UPDATE ${CHECKPOINT_TABLE}
          SET state = $3, last_error = NULL, error_kind = NULL, error_position = NULL, error_at = NULL, updated_at = now()
        WHERE name = $1 AND version = $2`,
      [this.name, this.projection.version, state],
    );
    this.recorded = state;
  }

  private async failed(error: Error, failure: PartitionFailure): Promise<void> {
    const kind = errorKind(error);
    const stalled = kind !== null && failure.consecutiveFailures >= this.stallAfter;
    this.onError(error, { ...failure, projection: this.name, stalled, kind });
    if (kind === null) return; // a rebalance race, resolved by the re-seek: nothing to record
    this.recorded = null; // the next good batch clears the error
    const where = `topic ${failure.topic}, partition ${failure.partition}, stored offset ${failure.offset ?? 'none (earliest)'}`;
    await recordFailure(this.executor, this.name, this.projection.version, {
      error: error instanceof MalformedKafkaMessageError ? error.message : `${error.message} (${where})`,
      errorPosition: error instanceof ProjectionApplyError ? error.position : null,
      stalled,
      kind,
    }).catch(() => {});
  }
}

/** The checkpoint row's error_kind for a failed batch; null when it is not a failure of the projection. */
function errorKind(error: Error): ProjectionErrorKind | null {
  if (error instanceof PartitionOffsetConflictError) return null;
  if (error instanceof MalformedKafkaMessageError) return 'decode';
  if (error instanceof ProjectionApplyError) return error.kind;
  if (error instanceof PartitionOffsetGapError) return 'read';
  return 'checkpoint';
}
