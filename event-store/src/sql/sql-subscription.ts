import type { StoredEvent } from '@chirp/domain/envelope';
import type { Subscription } from '../port.ts';
import type { EventNotifier } from './event-notifier.ts';

/** While a NOTIFY announced a position that is not readable yet, re-read this often (doubling). */
const PENDING_RETRY_MIN_MS = 5;
const PENDING_RETRY_MAX_MS = 250;

export type ReadAll = (fromPosition: number, limit: number) => Promise<StoredEvent[]>;

/**
 * Catch-up then live delivery over `readAll` (docs/event-store.md, "Live delivery"): read until a
 * batch comes back short, then sleep until a NOTIFY, the poll interval, or — when a NOTIFY
 * announced a position that is not readable yet — a short backoff.
 */
export class SqlSubscription implements Subscription {
  private cursor: number;
  private closed = false;
  private started = false;
  /** A NOTIFY arrived since the current read began. */
  private dirty = false;
  /** Highest position a NOTIFY announced: when above the cursor, something is about to become visible. */
  private announced = 0;
  private wake: (() => void) | undefined;
  private reading: Promise<unknown> | undefined;

  constructor(
    fromPosition: number,
    private readonly batchSize: number,
    private readonly pollIntervalMs: number,
    private readonly readAll: ReadAll,
    private readonly notifier: EventNotifier,
    private readonly onEnd: (subscription: SqlSubscription) => void,
  ) {
    this.cursor = fromPosition;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent[]> {
    if (this.started) throw new Error('a subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.onEnd(this);
    await this.reading?.catch(() => {});
  }

  private readonly onNotify = (position: number | undefined) => {
    this.dirty = true;
    if (position !== undefined && position > this.announced) this.announced = position;
    this.wake?.();
  };

  private async *run(): AsyncGenerator<StoredEvent[], void, undefined> {
    try {
      if (this.closed) return;
      // LISTEN before the first read, so nothing committed after that read goes unannounced.
      this.notifier.add(this.onNotify);
      await this.notifier.start();
      let pendingRetryMs = PENDING_RETRY_MIN_MS;
      while (!this.closed) {
        this.dirty = false;
        const read = this.readAll(this.cursor, this.batchSize);
        this.reading = read;
        const batch = await read;
        this.reading = undefined;
        if (this.closed) return;
        if (batch.length > 0) {
          this.cursor = batch[batch.length - 1]!.position;
          pendingRetryMs = PENDING_RETRY_MIN_MS;
          yield batch;
          if (batch.length === this.batchSize) continue;
        }
        if (this.dirty || this.closed) continue;
        if (this.announced > this.cursor) {
          // Committed but not readable yet: an older transaction still holds the horizon back.
          // Its end may not be announced (non-Chirp transaction), so re-read soon.
          await this.sleep(Math.min(pendingRetryMs, this.pollIntervalMs));
          pendingRetryMs = Math.min(pendingRetryMs * 2, PENDING_RETRY_MAX_MS);
        } else {
          pendingRetryMs = PENDING_RETRY_MIN_MS;
          await this.sleep(this.pollIntervalMs);
        }
      }
    } finally {
      this.closed = true;
      this.wake = undefined;
      this.notifier.remove(this.onNotify);
      this.onEnd(this);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
