/**
 * readAll throughput over 100,000 events, on PGlite and PostgreSQL. A measurement, not a check:
 * skipped unless CHIRP_BENCH=1 (`CHIRP_BENCH=1 npx vitest run event-store/test/read-all-throughput`).
 * Prints the median of several full passes per page size, and what the row check of
 * `decodeEventRows` costs on its own (against a plain field-by-field copy of the same rows);
 * CHIRP_BENCH_ENGINES=pglite or =postgres limits it to one engine.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NewEvent } from '@chirp/domain/envelope';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import type { EventStore } from '../src/port.ts';
import type { SqlExecutor } from '../src/sql/executor.ts';
import { openPgExecutor } from '../src/sql/pg-executor.ts';
import { openPgliteExecutor } from '../src/sql/pglite-executor.ts';
import { decodeEventRows, EVENT_COLUMNS } from '../src/sql/event-rows.ts';
import { appendInTransaction, createSqlEventStore } from '../src/sql/sql-event-store.ts';

const EVENTS = 100_000;
const PER_APPEND = 1_000;
const PASSES = 5;
const PAGE_SIZES = [500, 10_000];

function tweetEvent(i: number): NewEvent {
  const tweetId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'TweetPosted',
    data: {
      tweetId,
      authorId: randomUUID(),
      text: `tweet number ${i} about #chirp and @someone, long enough to look like a real one`,
      hashtags: ['chirp'],
      mentions: ['someone'],
    },
    schemaVersion: 1,
    occurredAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    metadata: {
      correlationId: randomUUID(),
      causationId: randomUUID(),
      actorUserId: randomUUID(),
      ...(i % 2 === 0 ? { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } : {}),
    },
  };
}

async function fill(executor: SqlExecutor): Promise<void> {
  for (let done = 0; done < EVENTS; done += PER_APPEND) {
    const events = Array.from({ length: PER_APPEND }, (_, k) => tweetEvent(done + k));
    await executor.transaction((tx) => appendInTransaction(tx, `bench-${done}`, events, 'no_stream'));
  }
}

async function passMs(store: EventStore, pageSize: number): Promise<number> {
  const started = performance.now();
  let from = 0;
  let count = 0;
  for (;;) {
    const page = await store.readAll(from, pageSize);
    if (page.length === 0) break;
    count += page.length;
    from = page[page.length - 1]!.position;
  }
  expect(count).toBe(EVENTS);
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const engines = (process.env.CHIRP_BENCH_ENGINES ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];

describe.runIf(process.env.CHIRP_BENCH === '1').each(engines)('readAll throughput on %s', (engine) => {
  let database: TestDatabase | undefined;
  let executor: SqlExecutor;
  let store: EventStore;
  beforeAll(async () => {
    database = engine === 'postgres' ? await createTestDatabase('read_all_bench') : undefined;
    executor = database ? await openPgExecutor(database.url) : await openPgliteExecutor('memory://');
    store = await createSqlEventStore(executor);
    await fill(executor);
    // Statistics as autovacuum would have them: without any, the planner sorts everything after
    // the cursor for each page instead of walking the primary key.
    await executor.query('ANALYZE chirp_events');
  }, 600_000);
  afterAll(async () => {
    await store?.close();
    await executor?.close();
    await database?.drop();
  });

  test.each(PAGE_SIZES)(`reads ${EVENTS} events in pages of %i`, async (pageSize) => {
    await passMs(store, pageSize); // warm-up
    const times: number[] = [];
    for (let i = 0; i < PASSES; i++) times.push(await passMs(store, pageSize));
    const ms = median(times);
    console.log(
      `readAll ${engine} page=${pageSize}: median ${ms.toFixed(0)} ms for ${EVENTS} events ` +
        `(${Math.round((EVENTS / ms) * 1000)} events/s; passes ${times.map((t) => t.toFixed(0)).join(', ')} ms)`,
    );
  }, 600_000);

  test(`the row check alone, over the same ${EVENTS} rows`, async () => {
    const { rows } = await executor.query(`SELECT ${EVENT_COLUMNS} FROM chirp_events ORDER BY position`);
    expect(rows).toHaveLength(EVENTS);
    const copy = (list: readonly Record<string, unknown>[]) =>
      list.map((r) => ({
        eventId: r.event_id,
        type: r.type,
        data: r.data,
        schemaVersion: r.schema_version,
        occurredAt: r.occurred_at,
        metadata: r.metadata,
        streamId: r.stream_id,
        streamRevision: r.stream_revision,
        position: r.position,
      }));
    const time = (f: () => unknown) => {
      const started = performance.now();
      f();
      return performance.now() - started;
    };
    const first = time(() => decodeEventRows(rows)); // includes compiling and warming the checker
    const checked: number[] = [];
    const copied: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      copied.push(time(() => copy(rows)));
      checked.push(time(() => decodeEventRows(rows)));
    }
    console.log(
      `decode ${engine}: checked ${median(checked).toFixed(1)} ms vs plain copy ${median(copied).toFixed(1)} ms ` +
        `per ${EVENTS} rows (first checked pass ${first.toFixed(0)} ms)`,
    );
  }, 600_000);
});
