import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { ProjectionRunner } from '../src/projection-runner.ts';
import type { Projection } from '../src/projection.ts';
import { allProjections } from '../src/read-models/index.ts';
import { getTweetsByIds } from '../src/read-models/tweets/reader.ts';
import { replayProjection, ReplayInProgressError } from '../src/replay/replay-projection.ts';
import { shadowSchemaOf } from '../src/replay/shadow-schema.ts';
import { buildHistory, command } from './histories.ts';
import { appendAll, dumpTables, engines, History, openBackend, uuid, waitForPosition, type Backend } from './support.ts';

const numRuns = Number(process.env.CHIRP_REPLAY_PROPERTY_RUNS ?? 3);
const histories = fc.integer({ min: 3, max: 6 }).chain((users) => fc.record({ users: fc.constant(users), commands: fc.array(command(users), { minLength: 10, maxLength: 60 }) }));

let historiesMade = 0;
/** A history's events with handles of their own: the store is shared by the tests, and handles are unique. */
function eventsOf(h: { users: number; commands: Parameters<typeof buildHistory>[1] }) {
  const suffix = `h${historiesMade++}`;
  return buildHistory(h.users, h.commands).events.map((e) =>
    e.type === 'UserRegistered' ? { ...e, data: { ...(e.data as Record<string, unknown>), handle: `${(e.data as { handle: string }).handle}${suffix}` } } : e,
  );
}

/** Every index on the projection's tables, by definition (schema-qualified names left out). */
async function indexes(db: SqlQueryable, projection: Projection): Promise<string[]> {
  const { rows } = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1::text[])`, [
    [...(projection.readsTables ?? [])],
  ]);
  return rows.map((r) => r.indexdef).sort();
}

const dump = (db: SqlQueryable, projection: Projection) => dumpTables(db, projection.readsTables ?? []);

describe.each(engines)('replaying a projection beside the live one (%s)', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'replay');
  });
  afterAll(async () => {
    await backend?.close();
  });

  it.each(allProjections.map((p) => [p.name, p] as const))(
    '%s: rebuilt from 0 it equals the incrementally built tables (restoring a damaged copy), and the live runner carries on over the switch',
    async (name, projection) => {
      const { executor, store } = backend;
      await fc.assert(
        fc.asyncProperty(histories, histories, async (first, second) => {
          await appendAll(store, eventsOf(first));
          const runner = new ProjectionRunner(store, executor, projection, { batchSize: 25, onError: () => {} });
          await runner.start();
          try {
            await waitForPosition(executor, [name], await store.headPosition(), { timeoutMs: 30_000 });
            const live = await dump(executor, projection);
            const liveIndexes = await indexes(executor, projection);
            // A read model gone wrong (here: emptied by hand) is what a replay is for.
            for (const table of projection.readsTables ?? []) await executor.query(`DELETE FROM ${table}`);
            const replayed = await replayProjection(store, executor, projection, { batchSize: 37 });
            expect(replayed.position).toBeGreaterThan(0);
            expect(await dump(executor, projection)).toEqual(live);
            // Reader indexes, left out of the shadow until its catch-up, are all there.
            expect(await indexes(executor, projection)).toEqual(liveIndexes);
            // The live runner goes on from where it was, on the new tables.
            const last = await appendAll(store, eventsOf(second));
            await waitForPosition(executor, [name], last, { timeoutMs: 30_000 });
            expect(runner.state).toBe('running');
            const later = await dump(executor, projection);
            await replayProjection(store, executor, projection);
            expect(await dump(executor, projection)).toEqual(later);
            const { rows } = await executor.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [shadowSchemaOf(name)]);
            expect(rows).toEqual([]);
          } finally {
            await runner.stop();
          }
        }),
        { numRuns },
      );
    },
    60_000 + numRuns * 20_000,
  );

  it('a replay already running (or interrupted) is refused unless forced', async () => {
    const tweets = allProjections.find((p) => p.name === 'tweets')!;
    await backend.executor.query(`CREATE SCHEMA IF NOT EXISTS ${shadowSchemaOf('tweets')}`);
    await expect(replayProjection(backend.store, backend.executor, tweets)).rejects.toThrow(ReplayInProgressError);
    await expect(replayProjection(backend.store, backend.executor, tweets, { force: true })).resolves.toMatchObject({ projection: 'tweets' });
  });

  it('an aborted replay drops its shadow, leaves the live tables as they were, and a new one needs no --force', async () => {
    const { executor, store } = backend;
    const profiles = allProjections.find((p) => p.name === 'profiles')!;
    const last = await appendAll(store, eventsOf({ users: 4, commands: [] }));
    const runner = new ProjectionRunner(store, executor, profiles, { onError: () => {} });
    await runner.start();
    try {
      await waitForPosition(executor, ['profiles'], last, { timeoutMs: 30_000 });
      const before = await dump(executor, profiles);
      const aborter = new AbortController();
      const shutdown = new Error('shutting down');
      const replay = replayProjection(store, executor, profiles, {
        batchSize: 1,
        signal: aborter.signal,
        onProgress: (applied) => {
          if (applied === 2) aborter.abort(shutdown);
        },
      });
      await expect(replay).rejects.toBe(shutdown);
      const { rows } = await executor.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [shadowSchemaOf('profiles')]);
      expect(rows).toEqual([]);
      expect(await dump(executor, profiles)).toEqual(before);
      await expect(replayProjection(store, executor, profiles)).resolves.toMatchObject({ projection: 'profiles' });
      expect(await dump(executor, profiles)).toEqual(before);
    } finally {
      await runner.stop();
    }
  });

  it.skipIf(engine === 'pglite')('readers get every tweet, never an error or an empty answer, all through a replay (PostgreSQL: concurrent readers)', async () => {
    const { executor, store } = backend;
    const tweets = allProjections.find((p) => p.name === 'tweets')!;
    const h = new History();
    const author = uuid();
    h.register(author, 'prolific');
    const ids = Array.from({ length: 400 }, () => uuid());
    for (const id of ids) h.post(author, id, `tweet ${id}`);
    const last = await appendAll(store, h.events);
    const runner = new ProjectionRunner(store, executor, tweets, { onError: () => {} });
    await runner.start();
    const reader = await backend.openExecutor();
    try {
      await waitForPosition(executor, ['tweets'], last, { timeoutMs: 30_000 });
      const sample = ids.filter((_, i) => i % 20 === 0);
      let replaying = true;
      let reads = 0;
      const reading = (async () => {
        while (replaying) {
          const found = await getTweetsByIds(reader, sample);
          expect(found.size).toBe(sample.length);
          reads++;
        }
      })();
      // Meanwhile more tweets arrive and the live runner applies them to the old tables: the switch
      // must bring each of them into the new ones (the events between the shadow and the live position).
      const more = Array.from({ length: 100 }, () => uuid());
      const writing = (async () => {
        for (const id of more) {
          const e = new History();
          await appendAll(store, [e.post(author, id, `late ${id}`)]);
        }
      })();
      // And right before the switch, the live runner gets ahead of the shadow by a few more.
      const lastMinute = Array.from({ length: 5 }, () => uuid());
      let burst = false;
      await replayProjection(store, executor, tweets, {
        batchSize: 10,
        onProgress: async (_applied, _remaining, phase) => {
          if (phase !== 'switching' || burst) return;
          burst = true;
          const e = new History();
          const at = await appendAll(store, lastMinute.map((id) => e.post(author, id, `last minute ${id}`)));
          await waitForPosition(executor, ['tweets'], at, { timeoutMs: 30_000 });
        },
      });
      more.push(...lastMinute);
      replaying = false;
      await reading;
      expect(reads).toBeGreaterThan(5);
      await writing;
      await waitForPosition(executor, ['tweets'], await store.headPosition(), { timeoutMs: 30_000 });
      expect((await getTweetsByIds(reader, [...ids, ...more])).size).toBe(ids.length + more.length);
    } finally {
      await runner.stop();
    }
  }, 60_000);
});
