import { randomUUID } from 'node:crypto';
import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';
import { schemaVersions, type ChirpEvent, type EventOf, type EventType } from '@chirp/domain/events';
import {
  createSqlEventStore,
  openPgExecutor,
  openPgliteExecutor,
  type EventStore,
  type SqlExecutor,
  type SqlQueryable,
} from '@chirp/event-store';
import { createTestDatabase } from '../../test-support/database.ts';
import { decodeBatch } from '../src/apply-batch.ts';
import type { Projection } from '../src/projection.ts';
import { minCheckpoint } from '../src/status/reader.ts';

export type Engine = 'pglite' | 'postgres';
export const engines: Engine[] = ['pglite', 'postgres'];

export interface Backend {
  engine: Engine;
  executor: SqlExecutor;
  store: EventStore;
  /** PostgreSQL only: opens another executor on the same database (another "process"). */
  openExecutor(): Promise<SqlExecutor>;
  close(): Promise<void>;
}

export async function openBackend(engine: Engine, label: string): Promise<Backend> {
  const db = engine === 'postgres' ? await createTestDatabase(label) : undefined;
  const extra: SqlExecutor[] = [];
  const executor = db ? await openPgExecutor(db.url) : await openPgliteExecutor('memory://');
  const store = await createSqlEventStore(executor, { pollIntervalMs: 50 });
  return {
    engine,
    executor,
    store,
    async openExecutor() {
      if (!db) throw new Error('only PostgreSQL has a second connection pool');
      const e = await openPgExecutor(db.url);
      extra.push(e);
      return e;
    },
    async close() {
      await store.close();
      await Promise.all(extra.map((e) => e.close().catch(() => {})));
      await executor.close();
      await db?.drop();
    },
  };
}

export const uuid = (): string => randomUUID();

const metadata = { correlationId: 'test', causationId: 'test', actorUserId: null };

/** A domain event ready for store.append. */
export function newEvent<K extends EventType>(type: K, data: EventOf<K>['data'], occurredAt?: string): NewEvent {
  return {
    eventId: uuid(),
    type,
    data,
    schemaVersion: schemaVersions[type],
    occurredAt: occurredAt ?? new Date().toISOString(),
    metadata,
  };
}

/**
 * A synthetic event log: the streams Chirp's command side writes, with per-stream revisions and
 * sparse, strictly increasing positions (like the SQL store's), for driving projections directly.
 */
export class History {
  readonly events: StoredEvent[] = [];
  private readonly revisions = new Map<string, number>();
  private position = 7 * 65_536;
  private clock = Date.parse('2025-01-01T00:00:00.000Z');

  append(streamId: string, event: ChirpEvent): StoredEvent {
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    this.position += this.events.length % 3 === 0 ? 65_536 : 1 + (this.events.length % 5);
    this.clock += 1_000;
    const stored: StoredEvent = {
      ...newEvent(event.type, event.data as never, new Date(this.clock).toISOString()),
      streamId,
      streamRevision: revision,
      position: this.position,
    };
    this.events.push(stored);
    return stored;
  }

  register(userId: string, handle: string, displayName = handle): StoredEvent {
    return this.append(`user-${userId}`, {
      type: 'UserRegistered',
      data: { userId, handle, displayName, passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' },
    });
  }
  updateProfile(userId: string, changes: { displayName?: string; bio?: string }): StoredEvent {
    return this.append(`user-${userId}`, { type: 'ProfileUpdated', data: { userId, ...changes } });
  }
  follow(followerId: string, followeeId: string): StoredEvent {
    return this.append(`user-${followerId}`, { type: 'Followed', data: { followerId, followeeId } });
  }
  unfollow(followerId: string, followeeId: string): StoredEvent {
    return this.append(`user-${followerId}`, { type: 'Unfollowed', data: { followerId, followeeId } });
  }
  post(authorId: string, tweetId: string, text = `tweet ${tweetId.slice(0, 8)}`, extra: { replyToTweetId?: string; hashtags?: string[]; mentions?: string[] } = {}): StoredEvent {
    return this.append(`tweet-${tweetId}`, {
      type: 'TweetPosted',
      data: { tweetId, authorId, text, hashtags: extra.hashtags ?? [], mentions: extra.mentions ?? [], ...(extra.replyToTweetId ? { replyToTweetId: extra.replyToTweetId } : {}) },
    });
  }
  deleteTweet(authorId: string, tweetId: string): StoredEvent {
    return this.append(`tweet-${tweetId}`, { type: 'TweetDeleted', data: { tweetId, authorId } });
  }
  private engagement(type: 'TweetLiked' | 'TweetUnliked' | 'Retweeted' | 'RetweetUndone', tweetId: string, authorId: string, userId: string): StoredEvent {
    return this.append(`engagement-${tweetId}-${userId}`, { type, data: { tweetId, authorId, userId } } as ChirpEvent);
  }
  like(tweetId: string, authorId: string, userId: string): StoredEvent {
    return this.engagement('TweetLiked', tweetId, authorId, userId);
  }
  unlike(tweetId: string, authorId: string, userId: string): StoredEvent {
    return this.engagement('TweetUnliked', tweetId, authorId, userId);
  }
  retweet(tweetId: string, authorId: string, userId: string): StoredEvent {
    return this.engagement('Retweeted', tweetId, authorId, userId);
  }
  undoRetweet(tweetId: string, authorId: string, userId: string): StoredEvent {
    return this.engagement('RetweetUndone', tweetId, authorId, userId);
  }
}

/**
 * Applies events inside a transaction as the runner's batch does: the handled ones, decoded, through
 * `applyBatch` when the projection has one (and there is more than one event), else one by one;
 * with `oneByOne`, always through `apply`, event by event (the reference the batch path must equal).
 */
export async function applyInTransaction(tx: SqlQueryable, projection: Projection, events: readonly StoredEvent[], oneByOne = false): Promise<void> {
  // The runner's own decoding (skips what the projection does not handle, or does not read).
  const { decoded } = decodeBatch(projection, events);
  if (!oneByOne && projection.applyBatch && decoded.length > 1) return projection.applyBatch(tx, decoded);
  for (const event of decoded) await projection.apply(tx, event);
}

/** Applies events straight through a projection in one transaction (what a runner's batch does). */
export async function applyEvents(executor: SqlExecutor, projection: Projection, events: readonly StoredEvent[], oneByOne = false): Promise<void> {
  await executor.transaction((tx) => applyInTransaction(tx, projection, events, oneByOne));
}

/** Drops and re-creates a projection's tables (between property-test runs). */
export async function resetProjection(executor: SqlExecutor, projection: Projection): Promise<void> {
  await executor.transaction(async (tx) => {
    for (const table of projection.readsTables ?? []) await tx.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    await projection.setup(tx);
  });
}

/** Appends each event to its stream through the real store; returns the stored events in order. */
export async function appendAll(store: EventStore, events: readonly StoredEvent[]): Promise<number> {
  let last = 0;
  for (const e of events) {
    const { streamId, streamRevision: _r, position: _p, ...fresh } = e;
    last = (await store.append(streamId, [{ ...fresh, eventId: uuid() }], 'any')).position;
  }
  return last;
}

/** A shuffle of the events that keeps each stream's order (what a partitioned feed may deliver). */
export function interleaveByStream(events: readonly StoredEvent[], random: () => number): StoredEvent[] {
  const queues = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const q = queues.get(e.streamId) ?? [];
    q.push(e);
    queues.set(e.streamId, q);
  }
  const out: StoredEvent[] = [];
  const live = [...queues.values()];
  while (live.length > 0) {
    const i = Math.floor(random() * live.length);
    const q = live[i]!;
    out.push(q.shift()!);
    if (q.length === 0) live.splice(i, 1);
  }
  return out;
}

export async function eventually<T>(check: () => Promise<T>, { timeoutMs = 10_000, intervalMs = 20 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Waits until every named projection has applied `position`, polling `minCheckpoint` as the query
 * API's read-your-writes wait does; returns the position reached.
 */
export async function waitForPosition(
  db: SqlQueryable,
  names: readonly string[],
  position: number,
  { timeoutMs = 5_000 }: { timeoutMs?: number } = {},
): Promise<number> {
  return eventually(
    async () => {
      const reached = await minCheckpoint(db, names);
      if (reached < position) throw new Error(`projections ${names.join(', ')} at ${reached}, not yet at ${position}`);
      return reached;
    },
    { timeoutMs },
  );
}

/** Random batch boundaries (mostly small, sometimes up to 40), as a runner's batches may fall. */
export function batches(events: readonly StoredEvent[], random: () => number): StoredEvent[][] {
  const out: StoredEvent[][] = [];
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(random() * (random() < 0.3 ? 40 : 10));
    out.push(events.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Every row of the tables as sorted JSON lines: two states compare equal iff their rows do. */
export async function dumpTables(db: SqlQueryable, tables: readonly string[]): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of tables) dump[table] = (await db.query(`SELECT * FROM ${table}`)).rows.map((r) => JSON.stringify(r)).sort();
  return dump;
}
