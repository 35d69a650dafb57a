import type { StoredEvent } from '@chirp/domain/envelope';
import type { Subscription } from '../port.ts';
import { isTransientEsdbError, type EsdbConnection, type LiveSubscription } from './esdb-client.ts';
import { isSystemEventType, positionToNumber, toStoredEvent, type EsdbReadStart, type EsdbRecord } from './esdb-mapping.ts';

/** One catch-up page: the port's events, and the last $all record the read passed (any type). */
export interface CatchUpPage {
  events: StoredEvent[];
  lastRecord: EsdbReadStart | undefined;
}
export type ReadPage = (afterPosition: number, limit: number) => Promise<CatchUpPage>;

/** Resubscription backoff after a dropped connection. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Pause the server stream when this many batches are buffered and not yet taken. */
const BUFFERED_BATCHES = 4;

/**
 * Catch-up then live delivery of $all (docs/event-store.md, "EventStoreDB"):
 * 1. catch-up reads pages of `batchSize` after the cursor, until a page comes back short;
 * 2. then a server subscription (`subscribeToAll`, system events filtered by the server) from the
 *    last $all record the catch-up passed — always a real record, so a valid start even when the
 *    caller's position was not one — delivering whatever is buffered in batches of ≤ batchSize;
 * 3. when that subscription drops (connection lost, server restarted), it resubscribes after a
 *    backoff from the last record it received. Every event whose position is not above the last
 *    one delivered is dropped, so the server's inclusive/exclusive start and the overlap of a
 *    resubscription never duplicate an event, and starting from a received record never leaves a gap.
 */
export class EsdbSubscription implements Subscription {
  private cursor: number;
  /** A valid $all start at or before the cursor, once known. */
  private anchor: EsdbReadStart | undefined;
  private closed = false;
  private started = false;
  private readonly buffer: StoredEvent[] = [];
  private failure: Error | undefined;
  private live: LiveSubscription | undefined;
  private paused = false;
  private wake: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;

  constructor(
    fromPosition: number,
    private readonly batchSize: number,
    private readonly connection: EsdbConnection,
    private readonly readPage: ReadPage,
    private readonly onEnd: (subscription: EsdbSubscription) => void,
  ) {
    this.cursor = fromPosition;
    this.anchor = fromPosition === 0 ? 'start' : undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent[]> {
    if (this.started) throw new Error('a subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onEnd(this);
    this.notify();
    await this.stopLive();
  }

  private async *run(): AsyncGenerator<StoredEvent[], void, undefined> {
    try {
      // 1. Catch-up.
      while (!this.closed) {
        // Without a known record at or before the cursor (a caller's position), remember the head
        // before reading: if the read finds nothing, everything newer lies after that head.
        let page: CatchUpPage;
        try {
          if (this.anchor === undefined) this.anchor = (await this.headRecord()) ?? 'start';
          page = await this.readPage(this.cursor, this.batchSize);
        } catch (error) {
          // Server unreachable mid catch-up: wait and read again from the cursor, as live does.
          if (!isTransientEsdbError(error)) throw error;
          await this.sleep(this.nextRetryMs());
          continue;
        }
        this.retryMs = RETRY_MIN_MS;
        if (this.closed) return;
        if (page.lastRecord !== undefined) this.anchor = page.lastRecord;
        if (page.events.length > 0) {
          this.cursor = page.events[page.events.length - 1]!.position;
          yield page.events;
        }
        if (page.events.length < this.batchSize) break;
      }
      // 2. Live.
      this.subscribe();
      while (!this.closed) {
        if (this.buffer.length > 0) {
          const batch = this.buffer.splice(0, this.batchSize);
          if (this.paused && this.buffer.length < this.batchSize) {
            this.paused = false;
            this.live?.resume();
          }
          yield batch;
          continue;
        }
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.closed = true;
      this.onEnd(this);
      await this.stopLive();
    }
  }

  private async headRecord(): Promise<EsdbReadStart | undefined> {
    return this.connection.readAllLastPosition();
  }

  private subscribe(): void {
    if (this.closed) return;
    const from = this.anchor ?? 'start';
    this.live = this.connection.subscribeToAll(from, {
      onRecord: (record) => this.receive(record),
      onError: (error, transient) => {
        if (transient) this.resubscribeLater();
        else this.fail(error);
      },
      onEnd: () => this.resubscribeLater(),
    });
  }

  private receive(record: EsdbRecord): void {
    if (this.closed || this.failure) return;
    this.retryMs = RETRY_MIN_MS;
    if (record.position === undefined) return this.fail(new Error(`$all delivered event ${record.id} without a position`));
    this.anchor = record.position;
    let event: StoredEvent;
    try {
      const position = positionToNumber(record.position);
      if (position <= this.cursor || isSystemEventType(record.type)) return;
      event = toStoredEvent(record);
    } catch (error) {
      return this.fail(error as Error);
    }
    this.cursor = event.position;
    this.buffer.push(event);
    if (!this.paused && this.buffer.length >= this.batchSize * BUFFERED_BATCHES) {
      this.paused = true;
      this.live?.pause();
    }
    this.notify();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    void this.stopLive();
    this.notify();
  }

  /** The connection dropped: start again from the last record received, after a backoff. */
  private resubscribeLater(): void {
    if (this.closed || this.retryTimer) return;
    const dead = this.live;
    this.live = undefined;
    this.paused = false;
    void dead?.stop();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.subscribe();
    }, this.nextRetryMs());
  }

  private nextRetryMs(): number {
    const ms = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    return ms;
  }

  /** A wait that close() cuts short. */
  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  private async stopLive(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const live = this.live;
    this.live = undefined;
    await live?.stop();
  }

  private notify(): void {
    this.wake?.();
  }
}
