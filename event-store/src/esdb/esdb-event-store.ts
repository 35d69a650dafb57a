import type { EventStore, ReadStreamOptions, SubscribeOptions } from '../port.ts';
import { appendToEsdb } from './esdb-append.ts';
import { openEsdbConnection, type EsdbConnection } from './esdb-client.ts';
import { toStoredEvent } from './esdb-mapping.ts';
import { checkNonNegativeInteger, countEventsAfter, headPositionOf, readAllPage, readLatestEvents, type ScanOptions } from './esdb-read.ts';
import { EsdbSubscription } from './esdb-subscription.ts';

export interface EsdbEventStoreOptions {
  /** How long start-up may take to reach the server before it gives up; default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * The server's chunk size (`ChunkSize` setting, default 256 MiB). Only used to find a record
   * boundary before a position the store did not hand out (e.g. `position - 1`).
   */
  chunkSizeBytes?: number;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_CHUNK_SIZE = 256 * 1024 * 1024;

/** The URL without user and password, for messages. */
export function redactEsdbUrl(url: string): string {
  return url.replace(/\/\/[^@/?#]*@/, '//');
}

/**
 * The event store on EventStoreDB. Verifies the connection before returning: a read of $all's
 * head under our own timeout, because against a listener that never answers the client's own
 * deadlines do not fire (it hangs past 40 s). Unreachable → an Error naming the URL, never a hang.
 */
export async function createEsdbEventStore(url: string, options: EsdbEventStoreOptions = {}): Promise<EventStore> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`connectTimeoutMs must be positive, got ${timeoutMs}`);
  const chunkSizeBytes = options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw new RangeError(`chunkSizeBytes must be a positive integer, got ${chunkSizeBytes}`);

  let connection: EsdbConnection;
  try {
    connection = openEsdbConnection(url);
  } catch (error) {
    throw new Error(`EventStoreDB at ${redactEsdbUrl(url)}: invalid connection string: ${(error as Error).message}`);
  }
  await verifyReachable(connection, url, timeoutMs);
  return esdbEventStore(connection, { chunkSizeBytes });
}

async function verifyReachable(connection: EsdbConnection, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const probe = connection.readAllLastPosition(timeoutMs);
  try {
    await Promise.race([
      probe,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    probe.catch(() => {}); // a hung probe settles after dispose; nobody waits for it
    await connection.close().catch(() => {});
    throw new Error(`EventStoreDB at ${redactEsdbUrl(url)} is unreachable: ${redactEsdbUrl((error as Error).message)}`);
  } finally {
    clearTimeout(timer);
  }
}

function esdbEventStore(connection: EsdbConnection, scan: ScanOptions): EventStore {
  const subscriptions = new Set<EsdbSubscription>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('event store is closed');
  };
  const readPage = (after: number, limit: number) => readAllPage(connection, after, limit, scan);

  return {
    async append(streamId, events, expected) {
      open();
      return appendToEsdb(connection, streamId, events, expected);
    },

    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      open();
      const fromRevision = readOptions.fromRevision ?? 0;
      checkNonNegativeInteger('fromRevision', fromRevision);
      if (readOptions.limit !== undefined) checkNonNegativeInteger('limit', readOptions.limit);
      if (readOptions.limit === 0) return [];
      const records = await connection.readStream(streamId, fromRevision, readOptions.limit);
      return records.map(toStoredEvent);
    },

    async readAll(fromPosition, limit) {
      open();
      return (await readPage(fromPosition, limit)).events;
    },

    async readLatest(limit) {
      open();
      return readLatestEvents(connection, limit);
    },

    subscribe(fromPosition: number, subscribeOptions: SubscribeOptions = {}) {
      open();
      checkNonNegativeInteger('fromPosition', fromPosition);
      const batchSize = subscribeOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
      const subscription = new EsdbSubscription(fromPosition, batchSize, connection, readPage, (s) => subscriptions.delete(s));
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition() {
      open();
      return headPositionOf(connection);
    },

    async countAfter(position, cap) {
      open();
      return countEventsAfter(connection, position, cap, scan);
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await connection.close();
    },
  };
}
