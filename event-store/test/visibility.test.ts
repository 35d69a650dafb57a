/**
 * The visibility problem on real PostgreSQL: positions are handed out before commit, commits
 * finish in another order, and a reader that trusts "position > last" skips events for good.
 * These tests hold transactions open on purpose and check that the store's readers never skip,
 * never duplicate, and never go backwards, while a naive reader does skip.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StoredEvent } from '@chirp/domain/envelope';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import type { EventStore } from '../src/port.ts';
import type { SqlExecutor } from '../src/sql/executor.ts';
import { openPgExecutor } from '../src/sql/pg-executor.ts';
import { createSqlEventStore } from '../src/sql/sql-event-store.ts';
import { newEvent, newStreamId } from './contract.ts';
import { holdingExecutor } from './holding-executor.ts';

let database: TestDatabase;
let executor: SqlExecutor;
let held: ReturnType<typeof holdingExecutor>;
let store: EventStore;
let heldStore: EventStore;

beforeAll(async () => {
  database = await createTestDatabase('event_store_visibility');
  executor = await openPgExecutor(database.url, { maxConnections: 40 });
  held = holdingExecutor(executor);
  store = await createSqlEventStore(executor, { pollIntervalMs: 1_000 });
  heldStore = await createSqlEventStore(held);
});
afterAll(async () => {
  await heldStore?.close();
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bug this store exists to avoid: read "position > checkpoint" and trust it. */
async function naiveRead(after: number): Promise<{ position: number; event_id: string }[]> {
  const { rows } = await executor.query<{ position: number; event_id: string }>(
    `SELECT position, event_id::text AS event_id FROM chirp_events WHERE position > $1 ORDER BY position LIMIT 10000`,
    [after],
  );
  return rows;
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(20);
  }
}

describe('visibility on PostgreSQL', () => {
  test('a naive position > last reader skips an event committed late; the xmin rule waits for it', async () => {
    const head = await store.headPosition();
    const early = newEvent();
    const late = newEvent();

    // Transaction A takes its position first and stays open.
    const hold = held.holdNext();
    const appendA = heldStore.append(newStreamId('early'), [early], 'no_stream');
    await hold.inside;
    // Transaction B starts later, takes a larger position, commits first.
    const b = await store.append(newStreamId('late'), [late], 'no_stream');

    // The naive reader sees B, checkpoints it ...
    const naiveFirst = await naiveRead(head);
    expect(naiveFirst.map((r) => r.event_id)).toEqual([late.eventId]);
    const naiveCheckpoint = naiveFirst[0]!.position;
    // ... while the store's readers see nothing yet: A might still commit below B.
    expect(await store.readAll(head, 100)).toEqual([]);
    expect(await store.headPosition()).toBe(head);
    expect(await store.countAfter(head, 100)).toBe(0);
    expect((await store.readLatest(1)).map((e) => e.position)).toEqual(head === 0 ? [] : [head]);

    hold.release();
    const a = await appendA;
    expect(a.position).toBeLessThan(b.position);

    // A is now committed below the naive checkpoint: the naive reader never sees it.
    expect(await naiveRead(naiveCheckpoint)).toEqual([]);
    // The store delivers both, in position order.
    const all = await eventually(() => store.readAll(head, 100), (xs) => xs.length === 2, 5_000);
    expect(all.map((e) => e.eventId)).toEqual([early.eventId, late.eventId]);
    expect(all.map((e) => e.position)).toEqual([a.position, b.position]);
  });

  test('20 concurrent writers and held-open transactions: a tailing subscriber gets every event exactly once, in order', async () => {
    const head = await store.headPosition();

    // Started before any writer.
    const subscription = store.subscribe(head, { batchSize: 50 });
    const delivered: StoredEvent[] = [];
    const consuming = (async () => {
      for await (const batch of subscription) delivered.push(...batch);
    })();

    // A naive tailer, to show what the store protects against.
    let naiveStop = false;
    let naiveLast = head;
    const naiveSeen = new Set<string>();
    const naive = (async () => {
      while (!naiveStop) {
        for (const row of await naiveRead(naiveLast)) {
          naiveSeen.add(row.event_id);
          naiveLast = row.position;
        }
        await sleep(5);
      }
    })();

    const appended = new Set<string>();
    const sharedStreams = Array.from({ length: 12 }, () => newStreamId('shared'));

    const writer = async () => {
      for (let i = 0; i < 15; i++) {
        const events = Array.from({ length: randomInt(1, 4) }, () => newEvent());
        const streamId = randomInt(3) === 0 ? newStreamId('fresh') : sharedStreams[randomInt(sharedStreams.length)]!;
        await store.append(streamId, events, 'any');
        for (const e of events) appended.add(e.eventId);
        if (randomInt(4) === 0) await sleep(randomInt(10));
      }
    };

    // Held transactions: each inserts, then stays open until a later append has committed and
    // the naive tailer has read past it (so the naive tailer's skip is certain), plus a while.
    const heldAppend = async (delayMs: number) => {
      await sleep(delayMs);
      const events = Array.from({ length: randomInt(1, 3) }, () => newEvent());
      const hold = held.holdNext();
      const pending = heldStore.append(newStreamId('held'), events, 'no_stream');
      await hold.inside;
      const marker = newEvent();
      const later = await store.append(newStreamId('marker'), [marker], 'no_stream');
      appended.add(marker.eventId);
      while (naiveLast < later.position) await sleep(5);
      await sleep(100 + randomInt(300));
      hold.release();
      await pending;
      for (const e of events) appended.add(e.eventId);
      return events.map((e) => e.eventId);
    };

    const heldIds = (
      await Promise.all([
        ...Array.from({ length: 20 }, () => writer().then(() => [] as string[])),
        ...[0, 50, 150, 300, 500].map((d) => heldAppend(d)),
      ])
    ).flat();

    // Everything committed: the subscriber must catch up completely ...
    const deadline = Date.now() + 15_000;
    while (delivered.length < appended.size && Date.now() < deadline) await sleep(20);
    // ... and deliver nothing twice afterwards.
    await sleep(300);
    naiveStop = true;
    await naive;
    await subscription.close();
    await consuming;

    const deliveredIds = delivered.map((e) => e.eventId);
    expect(new Set(deliveredIds).size).toBe(deliveredIds.length); // no duplicates
    expect(deliveredIds.length).toBe(appended.size); // none missing ...
    expect(new Set(deliveredIds)).toEqual(appended); // ... and exactly these
    for (let i = 1; i < delivered.length; i++) {
      expect(delivered[i]!.position).toBeGreaterThan(delivered[i - 1]!.position);
    }
    // What was delivered is what the log holds, in the same order.
    const log = await store.readAll(head, 100_000);
    expect(log.map((e) => [e.position, e.eventId])).toEqual(delivered.map((e) => [e.position, e.eventId]));

    // The naive tailer lost every held transaction's events (and possibly some ordinary ones
    // that simply committed out of position order).
    const naiveMissed = new Set([...appended].filter((id) => !naiveSeen.has(id)));
    expect(heldIds.length).toBeGreaterThan(0);
    for (const id of heldIds) expect(naiveMissed.has(id)).toBe(true);
    console.info(
      `visibility: ${appended.size} events appended, ${delivered.length} delivered in order; ` +
        `the naive tailer missed ${naiveMissed.size} (${heldIds.length} from held transactions)`,
    );
  });

  test('an abandoned transaction is ended by idle_in_transaction_session_timeout and readers proceed', async () => {
    const impatient = await openPgExecutor(database.url, { idleInTransactionTimeoutMs: 500 });
    const impatientHeld = holdingExecutor(impatient);
    const abandonedStore = await createSqlEventStore(impatientHeld);
    try {
      const head = await store.headPosition();
      const subscription = store.subscribe(head);
      const delivered: StoredEvent[] = [];
      const consuming = (async () => {
        for await (const batch of subscription) delivered.push(...batch);
      })();

      const abandoned = newEvent();
      const hold = impatientHeld.holdNext();
      const pending = abandonedStore.append(newStreamId('abandoned'), [abandoned], 'no_stream');
      pending.catch(() => {});
      await hold.inside;
      const heldSince = Date.now();

      const after = newEvent();
      const committed = await store.append(newStreamId('after-abandoned'), [after], 'no_stream');
      // Held back by the abandoned transaction ...
      expect(await store.readAll(head, 10)).toEqual([]);
      // ... until the server terminates its session.
      const visible = await eventually(() => store.readAll(head, 10), (xs) => xs.length > 0, 10_000);
      const waited = Date.now() - heldSince;
      expect(visible.map((e) => e.eventId)).toEqual([after.eventId]);
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(5_000);

      // The subscriber gets it too, though no NOTIFY marks the abandoned transaction's end.
      const deadline = Date.now() + 3_000;
      while (delivered.length === 0 && Date.now() < deadline) await sleep(20);
      expect(delivered.map((e) => e.position)).toEqual([committed.position]);

      // The abandoned append fails when it finally tries to commit, and left nothing behind.
      hold.release();
      await expect(pending).rejects.toThrow();
      const rows = await executor.query(`SELECT 1 FROM chirp_events WHERE event_id = $1`, [abandoned.eventId]);
      expect(rows.rowCount).toBe(0);

      await subscription.close();
      await consuming;
      expect(delivered).toHaveLength(1);

      // The impatient executor's pool recovered: it still works.
      expect((await abandonedStore.append(newStreamId('recovered'), [newEvent()], 'no_stream')).nextRevision).toBe(0);
    } finally {
      await abandonedStore.close();
      await impatient.close();
    }
  });
});
