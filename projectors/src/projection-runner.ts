import type { StoredEvent } from '@chirp/domain/envelope';
import { CorruptEventError, type EventStore, type Subscription } from '@chirp/event-store/port';
import type { SqlExecutor } from '@chirp/event-store/sql/executor';
import {
  CheckpointConflictError,
  readCheckpoint,
  recordCaughtUp,
  recordFailure,
  recordState,
  type ProjectionErrorKind,
  type ProjectionState,
} from './checkpoints.ts';
import { hasOlderVersion, prepareProjection } from './prepare-projection.ts';
import { replayProjection } from './replay/replay-projection.ts';
import type { Projection } from './projection.ts';
import type { Logger } from '@chirp/telemetry';
import { applyBatchInTransaction, ProjectionApplyError } from './apply-batch.ts';
import { tracedBatch } from './batch-telemetry.ts';
import { RateMeter } from './rate-meter.ts';
import { failureCallback } from './failure-callback.ts';

export { ProjectionApplyError };

export interface RunnerOptions {
  /** Most events per batch transaction; default 500. */
  batchSize?: number;
  /**
   * How long a batch transaction should stay open; default 150 ms. Readers of the store see only
   * events below the oldest open transaction (docs/event-store.md), so while a batch is open no
   * projection sees events committed after it began. When a commit took longer, the next one
   * takes half as many events (down to one); when it took under half of it, twice as many (up to
   * `batchSize`). Catch-up, whose set-based batches are quick, keeps its large batches; live fan-out
   * of posts to thousands of lists gets short transactions.
   */
  transactionBudgetMs?: number;
  /** First retry delay after a failure; doubles per consecutive failure. Default 100 ms. */
  initialBackoffMs?: number;
  /** Retry delay cap; default 30 s. */
  maxBackoffMs?: number;
  /** Consecutive failures after which the state becomes 'stalled'; default 3. */
  stallAfterFailures?: number;
  /** Called on every failure (default: a warning on `logger`, or console.warn without one). */
  onError?: (error: Error, info: FailureInfo) => void;
  /** Where each committed batch is logged (one line per batch); default nowhere. */
  logger?: Logger;
}

export interface FailureInfo {
  projection: string;
  /** Position of the event that failed, when known. */
  position: number | null;
  consecutiveFailures: number;
  stalled: boolean;
  /** True when the runner gave up for good (a checkpoint conflict). */
  fatal: boolean;
  /** What failed; also stored in the checkpoint row's `error_kind`. */
  kind: ProjectionErrorKind;
}

export type RunnerStatus = 'idle' | 'running' | 'stopping' | 'stopped' | 'failed';
const STOPPED = Symbol('stopped');

/**
 * Runs one projection: subscribe from the checkpoint; per batch ONE transaction that moves the
 * checkpoint by compare-and-set and applies every event; on failure roll back and retry with
 * exponential backoff, one event at a time for the rest of that batch; after `stallAfterFailures`
 * consecutive failures mark the projection 'stalled' (and keep retrying). Never skips an event.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly transactionBudgetMs: number;
  /** Events per transaction now: adapted to the budget (transactionBudgetMs). */
  private chunkSize: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stallAfter: number;
  private readonly onError: (error: Error, info: FailureInfo) => void;
  private readonly meter = new RateMeter();
  private readonly logger: Logger | undefined;

  private status: RunnerStatus = 'idle';
  private current = 0;
  private failures = 0;
  private ambiguousTo: number | null = null;
  /** The database holds an older version of the projection: rebuild it beside the old tables first. */
  private rebuildFirst = false;
  private fatalError: Error | null = null;
  private loopDone: Promise<void> | null = null;
  private stopSignal!: Promise<typeof STOPPED>;
  private signalStop!: () => void;

  constructor(
    private readonly store: EventStore,
    private readonly executor: SqlExecutor,
    readonly projection: Projection,
    options: RunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.transactionBudgetMs = options.transactionBudgetMs ?? 150;
    this.chunkSize = this.batchSize;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.stallAfter = options.stallAfterFailures ?? 3;
    const logger = (this.logger = options.logger);
    this.onError = failureCallback(options.onError, (error, info) =>
      logger
        ? logger.warn({ ...info, error: error.message }, 'projection batch failed')
        : console.warn(
            `[projector ${info.projection}] ${info.fatal ? 'stopped' : info.stalled ? 'stalled' : 'failed'}` +
              ` (${info.consecutiveFailures} consecutive): ${error.message}`,
          ),
    );
  }

  get name(): string {
    return this.projection.name;
  }
  /** Last position committed by this runner (the checkpoint table is the cross-process truth). */
  get position(): number {
    return this.current;
  }
  get state(): RunnerStatus {
    return this.status;
  }
  /** The error that stopped the runner for good (a checkpoint conflict), if any. */
  get error(): Error | null {
    return this.fatalError;
  }
  /** Resolves when the runner's loop has ended (after stop() or a fatal error); never rejects. */
  get done(): Promise<void> {
    return this.loopDone ?? Promise.resolve();
  }

  /** Prepares tables and checkpoint, then runs in the background. Resolves once running. */
  async start(): Promise<void> {
    if (this.status !== 'idle' && this.status !== 'stopped' && this.status !== 'failed') {
      throw new Error(`projection ${this.name} is already running`);
    }
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve(STOPPED)));
    this.fatalError = null;
    this.failures = 0;
    this.ambiguousTo = null;
    // A version raise is rebuilt beside the old tables first (they serve until the switch), in the loop.
    this.rebuildFirst = await hasOlderVersion(this.executor, this.projection);
    this.current = this.rebuildFirst ? 0 : await prepareProjection(this.executor, this.projection);
    this.status = 'running';
    this.loopDone = this.loop().catch((err: unknown) => {
      // loop() handles its own errors; anything here is a bug, kept visible.
      this.fatalError = err instanceof Error ? err : new Error(String(err));
      this.status = 'failed';
    });
  }

  /** Lets the batch in flight commit, closes the subscription, marks the checkpoint 'stopped'. */
  async stop(): Promise<void> {
    if (!this.loopDone || this.status === 'stopped' || this.status === 'failed') {
      await this.done;
      return;
    }
    this.status = 'stopping';
    this.signalStop();
    await this.loopDone;
    this.status = 'stopped';
    await recordState(this.executor, this.name, this.projection.version, 'stopped').catch(() => {});
  }

  private async loop(): Promise<void> {
    while (this.status === 'running') {
      let subscription: Subscription | null = null;
      try {
        if (this.rebuildFirst) await this.rebuildBesideOldVersion();
        subscription = this.store.subscribe(this.current, { batchSize: this.batchSize });
        await this.recordIfCaughtUp();
        const iterator = subscription[Symbol.asyncIterator]();
        while (this.status === 'running') {
          const pending = iterator.next();
          pending.catch(() => {}); // may be abandoned on stop
          const next = await Promise.race([pending, this.stopSignal]);
          if (next === STOPPED) break;
          if (next.done) throw new Error('subscription ended unexpectedly');
          await this.processBatch(next.value);
        }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof CheckpointConflictError) {
          this.fatalError = error;
          this.status = 'failed';
          this.onError(error, this.info(null, true, 'checkpoint'));
        } else if (error instanceof CorruptEventError) {
          // The store holds an event it cannot read back: it stalls here like a poison payload.
          await this.failed(error, error.position, 'decode');
        } else {
          // The subscription itself failed (store unreachable…): resubscribe from the checkpoint.
          await this.failed(error, null, 'read');
        }
      } finally {
        if (subscription) await subscription.close().catch(() => {});
      }
    }
  }

  private async processBatch(batch: StoredEvent[]): Promise<void> {
    let pending = batch.filter((e) => e.position > this.current);
    if (pending.length === 0) return;
    let state: ProjectionState = 'running';
    if (batch.length >= this.batchSize) {
      const head = await this.store.headPosition().catch(() => Number.POSITIVE_INFINITY);
      if (pending[pending.length - 1]!.position < head) state = 'catching_up';
    }
    let oneByOne = false;
    while (pending.length > 0) {
      if (this.status !== 'running') return; // stopping mid-retry: nothing of the rest was committed
      const chunk = oneByOne ? pending.slice(0, 1) : pending.slice(0, this.chunkSize);
      try {
        const started = performance.now();
        await this.commit(chunk, state);
        this.adaptChunkSize(chunk.length, performance.now() - started);
        pending = pending.slice(chunk.length);
        this.failures = 0;
        this.ambiguousTo = null;
      } catch (err) {
        if (err instanceof CheckpointConflictError) {
          if (!(await this.adoptAmbiguousCommit())) throw err;
          pending = pending.filter((e) => e.position > this.current);
          continue;
        }
        // Unless apply itself threw, the commit may have gone through with its acknowledgement
        // lost (connection dropped during COMMIT): remember where it would have left the checkpoint.
        this.ambiguousTo = err instanceof ProjectionApplyError ? null : chunk[chunk.length - 1]!.position;
        const error = err instanceof Error ? err : new Error(String(err));
        const position = error instanceof ProjectionApplyError ? error.position : oneByOne ? chunk[0]!.position : null;
        // Not the event's fault: the batch transaction (BEGIN, checkpoint, COMMIT) failed.
        const kind = error instanceof ProjectionApplyError ? error.kind : 'checkpoint';
        // From now on this batch goes one event at a time, so the failing event is pinned down
        // and the events before it are not held back by it.
        oneByOne = true;
        await this.failed(error, position, kind);
      }
    }
  }

  private adaptChunkSize(applied: number, elapsedMs: number): void {
    if (elapsedMs > this.transactionBudgetMs) this.chunkSize = Math.max(1, Math.floor(applied / 2));
    else if (elapsedMs < this.transactionBudgetMs / 2 && applied >= this.chunkSize) this.chunkSize = Math.min(this.batchSize, this.chunkSize * 2);
  }

  /**
   * After a failure whose outcome is unknown, a compare-and-set miss may be our own commit: if the
   * checkpoint stands exactly where that commit would have put it, the batch was applied (once).
   */
  private async adoptAmbiguousCommit(): Promise<boolean> {
    const expected = this.ambiguousTo;
    if (expected === null) return false;
    const row = await readCheckpoint(this.executor, this.name); // may throw: then asked again on retry
    this.ambiguousTo = null;
    if (!row || row.version !== this.projection.version || row.position !== expected) return false;
    this.current = expected;
    this.failures = 0;
    return true;
  }

  private async commit(chunk: StoredEvent[], state: ProjectionState): Promise<void> {
    const from = this.current;
    const to = chunk[chunk.length - 1]!.position;
    const eventsPerSecond = this.meter.rate(chunk.length);
    await tracedBatch(chunk, { projection: this.name, feed: 'store', ...(this.logger ? { logger: this.logger } : {}) }, () =>
      this.executor.transaction((tx) => applyBatchInTransaction(tx, this.projection, chunk, { from, state, eventsPerSecond })),
    );
    this.current = to;
    this.meter.add(chunk.length);
  }

  /**
   * The code's version is newer than the database's: rebuild from 0 in a shadow schema and switch
   * (replay/replay-projection.ts), so reads keep the old tables until the new ones are complete.
   * A failure is retried by the loop like any other; a stop abandons the shadow.
   */
  private async rebuildBesideOldVersion(): Promise<void> {
    const result = await replayProjection(this.store, this.executor, this.projection, {
      force: true,
      ...(this.logger ? { logger: this.logger } : {}),
      onProgress: () => {
        if (this.status !== 'running') throw new Error(`projection ${this.name} stopped during its rebuild`);
      },
    });
    this.current = result.position;
    this.rebuildFirst = false;
  }

  /**
   * Run on every (re)subscription. With the checkpoint at the store's head there is nothing to
   * commit, and only commits write the state: without this a restarted, caught-up projection
   * would show 'catching_up' (or a recovered 'stalled') until the next event arrives.
   */
  private async recordIfCaughtUp(): Promise<void> {
    const head = await this.store.headPosition();
    if (head > this.current) return; // the batches to come write the state
    await recordCaughtUp(this.executor, this.name, this.projection.version, this.current);
    this.failures = 0;
  }

  /** Counts a failure, records it outside any transaction, waits the backoff (cut short by stop). */
  private async failed(error: Error, position: number | null, kind: ProjectionErrorKind): Promise<void> {
    this.failures += 1;
    const stalled = this.failures >= this.stallAfter;
    this.onError(error, this.info(position, false, kind));
    await recordFailure(this.executor, this.name, this.projection.version, {
      error: error.message,
      errorPosition: position,
      stalled,
      kind,
    }).catch(() => {});
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, delay))), this.stopSignal]);
    clearTimeout(timer);
  }

  private info(position: number | null, fatal: boolean, kind: ProjectionErrorKind): FailureInfo {
    return {
      projection: this.name,
      position,
      consecutiveFailures: this.failures,
      stalled: this.failures >= this.stallAfter,
      fatal,
      kind,
    };
  }
}
