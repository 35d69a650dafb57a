import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendInTransaction, createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import type { NewEvent } from '@chirp/domain/envelope';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { appendNewStreams } from '../timeline/bulk-append.ts';

// The generator's set-based append must leave the log exactly as the store's own append would:
// positions from the transaction id, visible to readers in order, streams at revision 0.
const event = (userId: string): NewEvent => ({
  eventId: randomUUID(),
  type: 'Followed',
  data: { followerId: userId, followeeId: randomUUID() },
  schemaVersion: 1,
  occurredAt: new Date().toISOString(),
  metadata: { correlationId: 'c', causationId: 'c', actorUserId: userId },
});

describe('appendNewStreams (bench generator)', () => {
  let db: TestDatabase;
  let executor: SqlExecutor;
  let store: EventStore;
  beforeAll(async () => {
    db = await createTestDatabase('bench_bulk');
    executor = await openPgExecutor(db.url);
    store = await createSqlEventStore(executor);
  });
  afterAll(async () => {
    await store.close();
    await executor.close();
    await db.drop();
  });

  it('gives positions the store would, continues the ordinal across appends, and readers see every event once', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ streamId: `follow-bulk-${i}`, event: event(randomUUID()) }));
    const { bulkLast, storeResult } = await executor.transaction(async (tx) => {
      const bulkLast = await appendNewStreams(tx, items.slice(0, 30));
      const storeResult = await appendInTransaction(tx, 'follow-store-0', [event(randomUUID())], 'no_stream');
      await appendNewStreams(tx, items.slice(30));
      return { bulkLast, storeResult };
    });
    expect(storeResult.position).toBe(bulkLast + 1);
    const all = await store.readAll(0, 1000);
    expect(all).toHaveLength(51);
    const positions = all.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions[positions.length - 1]! - positions[0]!).toBe(50);
    expect(new Set(positions.map((p) => Math.floor(p / 65536))).size).toBe(1);
    expect(all[0]!.streamId).toBe('follow-bulk-0');
    expect(all[0]!.streamRevision).toBe(0);
    // The streams exist at revision 0: the store's expectations hold for later appends.
    await expect(store.append('follow-bulk-3', [event(randomUUID())], 0)).resolves.toMatchObject({ nextRevision: 1 });
  });

  it('refuses a batch with a stream that already exists, writing nothing', async () => {
    const before = await store.headPosition();
    await expect(executor.transaction((tx) => appendNewStreams(tx, [{ streamId: `follow-new-${randomUUID()}`, event: event(randomUUID()) }, { streamId: 'follow-bulk-1', event: event(randomUUID()) }]))).rejects.toThrow(/already exist/);
    expect(await store.headPosition()).toBe(before);
  });
});
