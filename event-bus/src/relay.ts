import type { StoredEvent } from '@chirp/domain/envelope';
import { CorruptEventError, type EventStore, type SqlExecutor, type Subscription } from '@chirp/event-store';
import { inSpan, instruments, linksTo, SpanKind } from '@chirp/telemetry';
import type { EventPublisher } from './kafka-client.ts';
import { toKafkaMessage, toMarkerMessages } from './kafka-messages.ts';
import { ProgressLog } from './progress-log.ts';
import { advanceRelayCheckpoint, openRelayCheckpoint, readRelayCheckpoint, RelayCheckpointConflictError } from './relay-checkpoint.ts';

export type LogLine = (line: Record<string, unknown>) => void;

export interface RelayOptions {
  /** Checkpoint row name (relay_checkpoints.name). */
  name: string;
  topic: string;
  /** Most events per published batch; default 500. */
  batchSize?: number;
  /** First retry delay after a failure, doubling per consecutive failure; default 200 ms. */
  initialBackoffMs?: number;
  /** Retry delay cap; default 30 s. */
  maxBackoffMs?: number;
  /** At most one progress line per this many ms; default 5 s. */
  progressIntervalMs?: number;
  /** JSON log lines (progress, failures); default console.log of JSON. */
  log?: LogLine;
  /**
   * Test seam: runs after the broker acknowledged a batch and before the checkpoint moves, i.e.
   * exactly where a crash leaves published-but-not-checkpointed events. Throwing here is handled
   * like any failure of the batch (it is re-read and re-sent: duplicates, no gap).
   */
  afterPublish?: (batch: readonly StoredEvent[]) => void | Promise<void>;
}

/** Which part of a batch failed, in failure log lines. */
export type RelayStage = 'read' | 'publish' | 'checkpoint';
export type RelayStatus = 'idle' | 'running' | 'stopping' | 'stopped' | 'failed';
const STOPPED = Symbol('stopped');

/**
 * Tails the event store from the relay's checkpoint and publishes every event to one Kafka topic,
 * in global order, batch by batch: publish (resolves once the broker acknowledged every message)
 * → then move the checkpoint by compare-and-set. A crash between the two re-publishes that batch
 * on restart: duplicates, never a gap. Any failure (store, broker, database) is logged and
 * retried from the checkpoint with exponential backoff, forever, never skipping an event; only a
 * checkpoint conflict (a second relay on the same row) stops it for good (`error`).
 */
export class KafkaRelay {
  private readonly batchSize: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: LogLine;
  private readonly progress: ProgressLog;

  private status: RelayStatus = 'idle';
  private current = 0;
  private failures = 0;
  /**
   * Set when a checkpoint write failed without an answer (connection dropped during the UPDATE):
   * it may have committed. Resolved by reading the row before the next batch.
   */
  private ambiguousTo: number | null = null;
  private fatalError: Error | null = null;
  private loopDone: Promise<void> | null = null;
  private stopSignal!: Promise<typeof STOPPED>;
  private signalStop!: () => void;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlExecutor,
    private readonly publisher: EventPublisher,
    private readonly options: RelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.log = options.log ?? ((line) => console.log(JSON.stringify(line)));
    this.progress = new ProgressLog(this.log, { relay: options.name, topic: options.topic }, options.progressIntervalMs ?? 5000);
  }

  /** Last position the broker acknowledged and this relay checkpointed. */
  get position(): number {
    return this.current;
  }
  get state(): RelayStatus {
    return this.status;
  }
  /** The error that stopped the relay for good (a checkpoint conflict), if any. */
  get error(): Error | null {
    return this.fatalError;
  }
  /** Resolves when the loop has ended (stop() or a fatal error); never rejects. */
  get done(): Promise<void> {
    return this.loopDone ?? Promise.resolve();
  }

  /** Creates/reads the checkpoint, then relays in the background. */
  async start(): Promise<void> {
    if (this.status === 'running' || this.status === 'stopping') throw new Error(`relay ${this.options.name} is already running`);
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve(STOPPED)));
    this.fatalError = null;
    this.failures = 0;
    this.ambiguousTo = null;
    this.current = (await openRelayCheckpoint(this.db, this.options.name)).position;
    this.status = 'running';
    this.log({ level: 'info', msg: 'relay started', relay: this.options.name, topic: this.options.topic, position: this.current });
    this.loopDone = this.loop().catch((err: unknown) => {
      // loop() handles its own errors; anything here is a bug, kept visible.
      this.fatalError = err instanceof Error ? err : new Error(String(err));
      this.status = 'failed';
    });
  }

  /** Lets the batch in flight finish (publish and checkpoint), then stops reading. */
  async stop(): Promise<void> {
    if (!this.loopDone || this.status === 'stopped' || this.status === 'failed') {
      await this.done;
      return;
    }
    this.status = 'stopping';
    this.signalStop();
    await this.loopDone;
    this.status = 'stopped';
    this.progress.flush();
  }

  private async loop(): Promise<void> {
    while (this.status === 'running') {
      let subscription: Subscription | null = null;
      const stage: { now: RelayStage } = { now: 'checkpoint' };
      try {
        if (this.ambiguousTo !== null) await this.resolveAmbiguousCheckpoint();
        stage.now = 'read';
        subscription = this.store.subscribe(this.current, { batchSize: this.batchSize });
        const iterator = subscription[Symbol.asyncIterator]();
        while (this.status === 'running') {
          stage.now = 'read';
          const pending = iterator.next();
          pending.catch(() => {}); // may be abandoned on stop
          const next = await Promise.race([pending, this.stopSignal]);
          if (next === STOPPED) break;
          if (next.done) throw new Error('the event store subscription ended unexpectedly');
          await this.relayBatch(next.value, stage);
          this.failures = 0;
        }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof RelayCheckpointConflictError) {
          this.fatalError = error;
          this.status = 'failed';
          this.log({ level: 'error', msg: 'relay stopped', relay: this.options.name, error: error.message });
        } else {
          await this.failed(error, error instanceof CorruptEventError ? 'read' : stage.now);
        }
      } finally {
        if (subscription) await subscription.close().catch(() => {});
      }
    }
  }

  private async relayBatch(batch: readonly StoredEvent[], stage: { now: RelayStage }): Promise<void> {
    const events = batch.filter((e) => e.position > this.current);
    if (events.length === 0) return;
    const from = this.current;
    const to = events[events.length - 1]!.position;
    stage.now = 'publish';
    // A producer span linked to the requests behind the batch's events: their traces lead on to
    // the relay, and from there (the traceparent rides in each message) to the Kafka-fed projectors.
    const span = { kind: SpanKind.PRODUCER, links: linksTo(events.map((e) => e.metadata.traceparent)), attributes: { 'chirp.relay': this.options.name, 'chirp.events': events.length, 'chirp.position.to': to } };
    await inSpan(`relay publish ${this.options.topic}`, span, async () => {
      await this.publisher.publish(this.options.topic, events.map(toKafkaMessage));
      // Only after the events' ack: a marker P in a partition must follow every event ≤ P there
      // (docs/event-bus.md, "Position markers"). A failure here re-sends the batch (duplicates) and
      // its markers; a re-sent marker is harmless. The count is asked per batch (the publisher caches
      // it for a minute), so a partition added later gets markers too.
      await this.publisher.publish(this.options.topic, toMarkerMessages(to, await this.publisher.partitionCount(this.options.topic)));
    });
    instruments().relayPublished.add(events.length, { relay: this.options.name });
    await this.options.afterPublish?.(events);
    stage.now = 'checkpoint';
    try {
      await advanceRelayCheckpoint(this.db, { name: this.options.name, from, to, published: events.length });
    } catch (error) {
      // A conflict is a definite answer; anything else (connection lost) may have committed.
      if (!(error instanceof RelayCheckpointConflictError)) this.ambiguousTo = to;
      throw error;
    }
    this.current = to;
    this.progress.add(events.length, to);
  }

  /**
   * After a checkpoint write with no answer: the row is either where it was (not committed: the
   * batch will be re-sent, duplicates) or exactly where that write would have put it (committed:
   * adopt it). Anywhere else, another relay moved it.
   */
  private async resolveAmbiguousCheckpoint(): Promise<void> {
    const expected = this.ambiguousTo!;
    const row = await readRelayCheckpoint(this.db, this.options.name);
    if (row?.position === expected) this.current = expected;
    else if (row?.position !== this.current) throw new RelayCheckpointConflictError(this.options.name, this.current, row?.position ?? null);
    this.ambiguousTo = null;
  }

  /** Logs the failure and waits the backoff (cut short by stop). */
  private async failed(error: Error, stage: RelayStage): Promise<void> {
    this.failures += 1;
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
    this.log({
      level: 'warn',
      msg: 'relay batch failed',
      relay: this.options.name,
      stage,
      position: this.current,
      consecutiveFailures: this.failures,
      retryInMs: delay,
      error: error.message,
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, delay))), this.stopSignal]);
    clearTimeout(timer);
  }
}
