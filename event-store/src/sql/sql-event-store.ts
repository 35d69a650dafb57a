import type { EventStore, ReadStreamOptions, SubscribeOptions } from '../port.ts';
import { EventNotifier } from './event-notifier.ts';
import type { SqlExecutor } from './executor.ts';
import { ensureEventStoreSchema } from './schema.ts';
import { appendAndAnnounce } from './sql-append.ts';
import { checkNonNegativeInteger, countVisibleAfter, readAllEvents, readLatestEvents, readStreamEvents, visibleHeadPosition } from './sql-read.ts';
import { SqlSubscription, type ReadAll } from './sql-subscription.ts';

// The pieces live in their own modules; these two names stay importable from here.
export { EVENTS_CHANNEL } from './event-notifier.ts';
export { appendInTransaction } from './sql-append.ts';

export interface SqlEventStoreOptions {
  /**
   * How often a live subscription re-reads when no NOTIFY woke it; default 1000 ms. NOTIFY wakes
   * subscribers at once after every Chirp append; the poll covers what NOTIFY cannot announce: a
   * non-Chirp transaction that was holding back the visibility horizon ending, or notifications
   * lost while the LISTEN connection was reconnecting.
   */
  pollIntervalMs?: number;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * The event store on PostgreSQL or PGlite (whichever the executor speaks). Creates its tables if
 * missing. The executor stays the caller's: `close()` ends subscriptions and LISTEN, not the pool.
 * Wiring only: append in `sql-append.ts`, reads in `sql-read.ts`, rows in `event-rows.ts`, live
 * delivery in `sql-subscription.ts` and `event-notifier.ts`.
 */
export async function createSqlEventStore(executor: SqlExecutor, options: SqlEventStoreOptions = {}): Promise<EventStore> {
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be positive, got ${pollIntervalMs}`);
  await ensureEventStoreSchema(executor);

  const notifier = new EventNotifier(executor);
  const subscriptions = new Set<SqlSubscription>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('event store is closed');
  };
  const readAll: ReadAll = (fromPosition, limit) => readAllEvents(executor, fromPosition, limit);

  return {
    async append(streamId, events, expected) {
      open();
      return appendAndAnnounce(executor, streamId, events, expected);
    },

    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      open();
      return readStreamEvents(executor, streamId, readOptions.fromRevision ?? 0, readOptions.limit);
    },

    async readAll(fromPosition, limit) {
      open();
      return readAll(fromPosition, limit);
    },

    async readLatest(limit) {
      open();
      return readLatestEvents(executor, limit);
    },

    subscribe(fromPosition: number, subscribeOptions: SubscribeOptions = {}) {
      open();
      checkNonNegativeInteger('fromPosition', fromPosition);
      const batchSize = subscribeOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
      const subscription = new SqlSubscription(fromPosition, batchSize, pollIntervalMs, readAll, notifier, (s) =>
        subscriptions.delete(s),
      );
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition() {
      open();
      return visibleHeadPosition(executor);
    },

    async countAfter(position, cap) {
      open();
      return countVisibleAfter(executor, position, cap);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await notifier.stop();
    },
  };
}
