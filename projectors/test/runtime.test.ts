import type { StoredEvent } from '@chirp/domain/envelope';
import type { EventStore, SqlExecutor, SqlQueryable } from '@chirp/event-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptCheckpointError, readCheckpoint } from '../src/checkpoints.ts';
import { defineProjection, type Projection } from '../src/projection.ts';
import {
  CheckpointConflictError,
  ProjectionRunner,
  ProjectionVersionError,
  startProjectors,
  type FailureInfo,
  type RunnerOptions,
} from '../src/runtime.ts';
import { tweetsProjection } from '../src/read-models/tweets/projection.ts';
import { minCheckpoint, readProjectionStatuses } from '../src/status/reader.ts';
import { engines, eventually, newEvent, openBackend, uuid, waitForPosition, type Backend } from './support.ts';

/** A projection that records every application (no unique key: a double application would show). */
function probe(
  name: string,
  options: { version?: number; beforeApply?: (tx: SqlQueryable, event: StoredEvent) => Promise<void> } = {},
): Projection & { table: string } {
  const table = `rt_${name.replace(/[^a-z0-9]/g, '_')}_applied`;
  return {
    name,
    table,
    version: options.version ?? 1,
    readsTables: [table],
    handles: ['UserRegistered'],
    async setup(db) {
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (position bigint NOT NULL, event_id text NOT NULL)`);
    },
    async apply(tx, event) {
      await options.beforeApply?.(tx, event);
      await tx.query(`INSERT INTO ${table} (position, event_id) VALUES ($1, $2)`, [event.position, event.eventId]);
    },
  };
}

/** Appends n registrations; returns them as stored, once all are visible to readers. */
async function appendUsers(store: EventStore, n: number): Promise<StoredEvent[]> {
  const positions = new Set<number>();
  for (let i = 0; i < n; i++) {
    const userId = uuid();
    const { position } = await store.append(
      `user-${userId}`,
      [newEvent('UserRegistered', { userId, handle: `user_${userId.slice(0, 8)}`, displayName: 'U', passwordHash: 'x' })],
      'no_stream',
    );
    positions.add(position);
  }
  const first = Math.min(...positions);
  // Readers see an event only once every older transaction (e.g. a runner's batch) has ended.
  return eventually(async () => {
    const events = (await store.readAll(first - 1, 100_000)).filter((e) => positions.has(e.position));
    expect(events).toHaveLength(n);
    return events;
  });
}

async function applied(db: SqlQueryable, table: string): Promise<{ total: number; distinct: number; positions: number[] }> {
  const { rows } = await db.query<{ position: number }>(`SELECT position FROM ${table} ORDER BY position`);
  const positions = rows.map((r) => r.position);
  return { total: positions.length, distinct: new Set(positions).size, positions };
}

const quiet: RunnerOptions = { initialBackoffMs: 10, maxBackoffMs: 40, onError: () => {} };

describe.each(engines)('projection runtime on %s', (engine) => {
  let backend: Backend;
  let store: EventStore;
  let executor: SqlExecutor;
  beforeAll(async () => {
    backend = await openBackend(engine, 'runtime');
    ({ store, executor } = backend);
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('applies every event exactly once, in batches, with the checkpoint in the same transaction', async () => {
    const p = probe('exactly-once');
    const events = await appendUsers(store, 23);
    const runner = new ProjectionRunner(store, executor, p, { ...quiet, batchSize: 5 });
    await runner.start();
    try {
      const head = await store.headPosition();
      await waitForPosition(executor, [p.name], head, { timeoutMs: 10_000 });
      const more = await appendUsers(store, 4); // live delivery after catch-up
      await waitForPosition(executor, [p.name], more.at(-1)!.position, { timeoutMs: 10_000 });
      const result = await applied(executor, p.table);
      expect(result.positions).toEqual([...events, ...more].map((e) => e.position));
      const row = await readCheckpoint(executor, p.name);
      expect(row).toMatchObject({ position: more.at(-1)!.position, state: 'running', appliedTotal: 27, lastError: null });
      const [status] = await readProjectionStatuses(executor, store, [p.name]);
      expect(status).toMatchObject({ name: p.name, version: 1, lagEvents: 0, lagSeconds: 0, state: 'running', lastError: null });
      expect(status!.eventsPerSecond).toBeGreaterThan(0);
      expect(await minCheckpoint(executor, [p.name])).toBe(more.at(-1)!.position);
      expect(await minCheckpoint(executor, [p.name, 'never-started'])).toBe(0);
    } finally {
      await runner.stop();
    }
    expect((await readCheckpoint(executor, p.name))?.state).toBe('stopped');
  });

  it('resumes from the checkpoint after a restart, neither losing nor repeating events', async () => {
    const p = probe('restart');
    const first = await appendUsers(store, 6);
    const r1 = new ProjectionRunner(store, executor, p, quiet);
    await r1.start();
    await waitForPosition(executor, [p.name], first.at(-1)!.position);
    await r1.stop();
    const second = await appendUsers(store, 6);
    const seen: number[] = [];
    const p2 = probe('restart', { beforeApply: async (_tx, e) => void seen.push(e.position) });
    const r2 = new ProjectionRunner(store, executor, p2, quiet);
    await r2.start();
    expect(r2.position).toBe(first.at(-1)!.position);
    await waitForPosition(executor, [p.name], second.at(-1)!.position);
    await r2.stop();
    expect(seen).toEqual(second.map((e) => e.position));
    const result = await applied(executor, p.table);
    expect(result.total).toBe(result.distinct);
    expect(result.positions.filter((pos) => pos > first[0]!.position - 1)).toEqual([...first, ...second].map((e) => e.position));
  });

  it('rolls back a failing batch whole, pins the poison event, stalls after 3 failures and recovers when fixed', async () => {
    const events = await appendUsers(store, 10);
    const poison = events[4]!;
    let broken = true;
    const p = probe('poison', {
      beforeApply: async (_tx, e) => {
        if (broken && e.eventId === poison.eventId) throw new Error('read model cannot take this event');
      },
    });
    const failures: FailureInfo[] = [];
    let firstFailure: Promise<{ rows: number; position: number | undefined }> | undefined;
    const runner = new ProjectionRunner(store, executor, p, {
      batchSize: 100,
      initialBackoffMs: 200,
      maxBackoffMs: 200,
      onError: (_err, info) => {
        failures.push(info);
        // Right after the first failure (the whole batch in one transaction) nothing is visible.
        firstFailure ??= Promise.all([applied(executor, p.table), readCheckpoint(executor, p.name)]).then(([a, c]) => ({
          rows: a.total,
          position: c?.position,
        }));
      },
    });
    // Start from just before this test's events.
    await runner.start();
    try {
      await eventually(async () => expect(failures.length).toBeGreaterThan(0));
      expect(await firstFailure).toEqual({ rows: 0, position: 0 });
      expect(failures[0]).toMatchObject({ position: poison.position, consecutiveFailures: 1, stalled: false, kind: 'apply' });

      const stalled = await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s?.state).toBe('stalled');
        return s!;
      });
      expect(stalled.errorPosition).toBe(poison.position);
      expect(stalled.errorKind).toBe('apply');
      expect(stalled.lastError).toContain('read model cannot take this event');
      expect(stalled.lastError).toContain(poison.eventId);
      expect(stalled.errorAt).not.toBeNull();
      expect(stalled.lagSeconds).not.toBeNull();
      // Events before the poison were committed one at a time; nothing after it was skipped to.
      expect(stalled.position).toBe(events[3]!.position);
      expect(stalled.lagEvents).toBe(6);
      const before = await applied(executor, p.table);
      expect(before.positions.slice(-4)).toEqual(events.slice(0, 4).map((e) => e.position));
      expect(failures.filter((f) => f.stalled).length).toBeGreaterThan(0);

      broken = false;
      const healed = await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s).toMatchObject({ state: 'running', lagEvents: 0 });
        return s!;
      });
      expect(healed).toMatchObject({
        lastError: null,
        errorKind: null,
        errorPosition: null,
        lagEvents: 0,
        position: events.at(-1)!.position,
      });
      const after = await applied(executor, p.table);
      expect(after.total).toBe(after.distinct);
      expect(after.positions.slice(-10)).toEqual(events.map((e) => e.position));
    } finally {
      await runner.stop();
    }
  });

  it('hands a batch to applyBatch in one call, and pins a poison event inside a run by the one-by-one retry', async () => {
    const events = await appendUsers(store, 10);
    const poison = events[6]!;
    const table = 'rt_batched_applied';
    const insert = (tx: SqlQueryable, batch: readonly StoredEvent[]) =>
      tx.query(`INSERT INTO ${table} (position, event_id) SELECT * FROM unnest($1::bigint[], $2::text[])`, [
        batch.map((e) => e.position),
        batch.map((e) => e.eventId),
      ]);
    const runSizes: number[] = [];
    const guard = (batch: readonly StoredEvent[]) => {
      if (batch.some((e) => e.eventId === poison.eventId)) throw new Error('read model cannot take this event');
    };
    const p = defineProjection({
      name: 'batched',
      version: 1,
      readsTables: [table],
      setup: async (db) => void (await db.query(`CREATE TABLE IF NOT EXISTS ${table} (position bigint NOT NULL, event_id text NOT NULL)`)),
      on: {
        async UserRegistered(tx, e) {
          guard([e]);
          await insert(tx, [e]);
        },
      },
      runs: {
        async UserRegistered(tx, batch) {
          runSizes.push(batch.length);
          guard(batch);
          await insert(tx, batch);
        },
      },
    });
    const failures: FailureInfo[] = [];
    const runner = new ProjectionRunner(store, executor, p, { ...quiet, batchSize: 100, onError: (_e, info) => failures.push(info) });
    await runner.start();
    try {
      const [stalled] = await eventually(async () => {
        const statuses = await readProjectionStatuses(executor, store, [p.name]);
        expect(statuses[0]?.state).toBe('stalled');
        return statuses;
      });
      // The whole batch went to the run handler at once; the failure names the run's first event…
      expect(Math.max(...runSizes)).toBeGreaterThan(1);
      expect(failures[0]).toMatchObject({ position: expect.any(Number), kind: 'apply' });
      expect(failures[0]!.position!).toBeLessThanOrEqual(poison.position);
      // …then the rest of the batch went one event at a time: the poison is pinned, the events
      // before it are committed, nothing after it.
      expect(stalled!.errorPosition).toBe(poison.position);
      expect(stalled!.position).toBe(events[5]!.position);
      const rows = await applied(executor, table);
      expect(rows.total).toBe(rows.distinct);
      expect(rows.positions.filter((pos) => pos >= events[0]!.position)).toEqual(events.slice(0, 6).map((e) => e.position));
    } finally {
      await runner.stop();
    }
  });

  it('stalls on an event whose payload fails validation and never skips past it', async () => {
    await appendUsers(store, 1);
    const bad = await store.append(`tweet-${uuid()}`, [newEvent('TweetPosted', { tweetId: 'not-a-uuid' } as never)], 'no_stream');
    const good = uuid();
    const after = await store.append(
      `tweet-${good}`,
      [newEvent('TweetPosted', { tweetId: good, authorId: uuid(), text: 'hi', hashtags: [], mentions: [] })],
      'no_stream',
    );
    const runner = new ProjectionRunner(store, executor, tweetsProjection, quiet);
    await runner.start();
    try {
      const s = await eventually(async () => {
        const [status] = await readProjectionStatuses(executor, store, ['tweets']);
        expect(status?.state).toBe('stalled');
        return status!;
      });
      expect(s.errorPosition).toBe(bad.position);
      expect(s.errorKind).toBe('decode');
      expect(s.lastError).toMatch(/cannot decode event/);
      expect(s.lastError).toMatch(/ZodError|Invalid/);
      expect(s.position).toBeLessThan(bad.position);
      expect(s.lagEvents).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 150));
      expect((await readCheckpoint(executor, 'tweets'))?.position).toBeLessThan(after.position);
      const { rows } = await executor.query(`SELECT 1 FROM rm_tweets_tweets WHERE tweet_id = $1`, [good]);
      expect(rows).toHaveLength(0);
    } finally {
      await runner.stop();
    }
  });

  it('a second runner of the same projection fails cleanly on the checkpoint compare-and-set', async () => {
    const p = probe('cas');
    const otherExecutor = engine === 'postgres' ? await backend.openExecutor() : executor;
    const errors: Error[] = [];
    const onError = (err: Error, info: FailureInfo) => void (info.fatal && errors.push(err));
    const a = new ProjectionRunner(store, executor, p, { ...quiet, batchSize: 4, onError });
    const b = new ProjectionRunner(store, otherExecutor, p, { ...quiet, batchSize: 4, onError });
    await a.start();
    await b.start();
    try {
      const events = await appendUsers(store, 12);
      await eventually(async () => expect(a.error ?? b.error).toBeInstanceOf(CheckpointConflictError));
      const loser = a.error ? a : b;
      const winner = loser === a ? b : a;
      await loser.done;
      expect(loser.state).toBe('failed');
      expect(loser.error!.message).toMatch(/another runner of the same projection/);
      expect(errors).toHaveLength(1);
      expect(winner.error).toBeNull();
      await waitForPosition(executor, [p.name], events.at(-1)!.position);
      const result = await applied(executor, p.table);
      expect(result.total).toBe(result.distinct);
      expect(result.positions.filter((pos) => pos >= events[0]!.position)).toEqual(events.map((e) => e.position));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a commit whose acknowledgement was lost is recognised on retry, not applied twice nor taken for a rival', async () => {
    const p = probe('lost-ack');
    let armed = false;
    // The real executor, except that one committed transaction reports a dropped connection.
    const flaky: SqlExecutor = {
      engine: executor.engine,
      query: (text, params) => executor.query(text, params),
      listen: (channel, onNotify) => executor.listen(channel, onNotify),
      close: async () => {},
      async transaction(fn) {
        const result = await executor.transaction(fn);
        if (armed) {
          armed = false;
          throw new Error('Connection terminated unexpectedly');
        }
        return result;
      },
    };
    const failures: FailureInfo[] = [];
    const runner = new ProjectionRunner(store, flaky, p, { ...quiet, onError: (_e, info) => void failures.push(info) });
    await runner.start();
    try {
      armed = true;
      const events = await appendUsers(store, 5);
      await waitForPosition(executor, [p.name], events.at(-1)!.position);
      const more = await appendUsers(store, 2);
      await waitForPosition(executor, [p.name], more.at(-1)!.position);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.kind).toBe('checkpoint');
      expect(runner.error).toBeNull();
      const result = await applied(executor, p.table);
      expect(result.total).toBe(result.distinct);
      expect(result.positions.filter((pos) => pos >= events[0]!.position)).toEqual([...events, ...more].map((e) => e.position));
    } finally {
      await runner.stop();
    }
  });

  it('a restarted runner whose checkpoint is at the head shows running without any new event', async () => {
    const p = probe('idle-restart');
    const events = await appendUsers(store, 3);
    const first = new ProjectionRunner(store, executor, p, quiet);
    await first.start();
    await waitForPosition(executor, [p.name], events.at(-1)!.position);
    await first.stop();
    expect((await readCheckpoint(executor, p.name))?.state).toBe('stopped');
    const head = await store.headPosition();
    expect((await readCheckpoint(executor, p.name))?.position).toBe(head);

    const second = new ProjectionRunner(store, executor, p, quiet);
    await second.start();
    try {
      const status = await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s?.state).toBe('running');
        return s!;
      });
      expect(status).toMatchObject({ position: head, lagEvents: 0, lastError: null, errorKind: null });
      expect(await store.headPosition()).toBe(head); // no event was needed to get there
    } finally {
      await second.stop();
    }
  });

  it('a caught-up runner that lost the store stalls with errorKind read, and shows running again once it reads', async () => {
    const p = probe('store-outage');
    const events = await appendUsers(store, 2);
    const warm = new ProjectionRunner(store, executor, p, quiet);
    await warm.start();
    await waitForPosition(executor, [p.name], events.at(-1)!.position);
    await warm.stop();

    let reachable = false;
    const flaky: EventStore = {
      append: (...args) => store.append(...args),
      readStream: (...args) => store.readStream(...args),
      readAll: (...args) => store.readAll(...args),
      readLatest: (limit) => store.readLatest(limit),
      headPosition: () => store.headPosition(),
      countAfter: (...args) => store.countAfter(...args),
      close: async () => {},
      subscribe(from, options) {
        if (!reachable) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return store.subscribe(from, options);
      },
    };
    const runner = new ProjectionRunner(flaky, executor, p, quiet);
    await runner.start();
    try {
      const stalled = await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s?.state).toBe('stalled');
        return s!;
      });
      expect(stalled).toMatchObject({ errorKind: 'read', errorPosition: null });
      expect(stalled.lastError).toContain('ECONNREFUSED');
      reachable = true; // nothing is left to apply: no commit will come to clear the state
      await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s).toMatchObject({ state: 'running', lastError: null, errorKind: null, lagEvents: 0 });
      });
    } finally {
      await runner.stop();
    }
  });

  it('an event row that is not a valid envelope stalls the runner at its position with errorKind decode', async () => {
    const p = probe('corrupt-row');
    const before = await appendUsers(store, 1);
    const userId = uuid();
    const bad = newEvent('UserRegistered', { userId, handle: `user_${userId.slice(0, 8)}`, displayName: 'U', passwordHash: 'x' });
    const { position } = await store.append(`user-${userId}`, [bad], 'no_stream');
    const after = await appendUsers(store, 1);
    const original = await executor.query<{ metadata: unknown }>(`SELECT metadata FROM chirp_events WHERE event_id = $1`, [bad.eventId]);
    await executor.query(`UPDATE chirp_events SET metadata = '{}' WHERE event_id = $1`, [bad.eventId]);
    const runner = new ProjectionRunner(store, executor, p, quiet);
    try {
      await runner.start();
      const stalled = await eventually(async () => {
        const [s] = await readProjectionStatuses(executor, store, [p.name]);
        expect(s?.state).toBe('stalled');
        return s!;
      });
      expect(stalled).toMatchObject({ errorKind: 'decode', errorPosition: position });
      // The read that meets the row fails as a whole: the checkpoint stays before that page.
      expect(stalled.position).toBeLessThan(position);
      expect(stalled.lastError).toContain(`position ${position}`);
      expect(stalled.lastError).toMatch(/corrupt.*correlationId/);
      // Repaired by hand: the runner carries on from where it stood, nothing skipped.
      await executor.query(`UPDATE chirp_events SET metadata = $2::jsonb WHERE event_id = $1`, [
        bad.eventId,
        JSON.stringify(original.rows[0]!.metadata),
      ]);
      await waitForPosition(executor, [p.name], after.at(-1)!.position);
      const result = await applied(executor, p.table);
      expect(result.positions.filter((pos) => pos >= before[0]!.position)).toEqual([before[0]!.position, position, after[0]!.position]);
    } finally {
      await executor.query(`UPDATE chirp_events SET metadata = $2::jsonb WHERE event_id = $1`, [
        bad.eventId,
        JSON.stringify(original.rows[0]!.metadata),
      ]);
      await runner.stop();
    }
  });

  it('a checkpoint row that does not have the runtime\'s shape is a clear error naming the projection', async () => {
    const p = probe('corrupt-checkpoint');
    const runner = new ProjectionRunner(store, executor, p, quiet);
    await runner.start();
    await runner.stop();
    await executor.query(`UPDATE projection_checkpoints SET position = -5 WHERE name = $1`, [p.name]);
    try {
      await expect(readCheckpoint(executor, p.name)).rejects.toBeInstanceOf(CorruptCheckpointError);
      await expect(readProjectionStatuses(executor, store, [p.name])).rejects.toThrow(
        /checkpoint row of projection corrupt-checkpoint .* is corrupt: position/,
      );
      await expect(new ProjectionRunner(store, executor, p, quiet).start()).rejects.toBeInstanceOf(CorruptCheckpointError);
    } finally {
      await executor.query(`DELETE FROM projection_checkpoints WHERE name = $1`, [p.name]);
    }
  });

  it('rebuilds a raised version from position 0 beside the old tables, which serve until the switch; refuses an older version', async () => {
    const events = await appendUsers(store, 3);
    const v1p = probe('versioned');
    const v1 = new ProjectionRunner(store, executor, v1p, quiet);
    await v1.start();
    await waitForPosition(executor, ['versioned'], events.at(-1)!.position);
    await v1.stop();
    const v1Rows = await applied(executor, v1p.table);
    // The new version's rebuild pauses on its second event; on PostgreSQL another connection then
    // still reads the old version's complete table (PGlite has one connection, held by the rebuild).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let paused!: () => void;
    const reachedPause = new Promise<void>((resolve) => (paused = resolve));
    let seen = 0;
    const v2p = probe('versioned', {
      version: 2,
      beforeApply: async () => {
        if (++seen !== 2) return;
        paused();
        await gate;
      },
    });
    const v2 = new ProjectionRunner(store, executor, v2p, quiet);
    await v2.start();
    await reachedPause;
    if (engine === 'postgres') {
      const reader = await backend.openExecutor();
      expect(await applied(reader, v2p.table)).toEqual(v1Rows);
      expect((await readCheckpoint(reader, 'versioned'))?.version).toBe(1);
    }
    release();
    await eventually(async () => expect((await readCheckpoint(executor, 'versioned'))?.version).toBe(2), { timeoutMs: 20_000 });
    await waitForPosition(executor, ['versioned'], events.at(-1)!.position);
    await v2.stop();
    const result = await applied(executor, v2p.table);
    expect(result.total).toBe(result.distinct);
    expect(result.total).toBe((await store.readAll(0, 100_000)).filter((e) => e.type === 'UserRegistered').length);
    await expect(new ProjectionRunner(store, executor, probe('versioned'), quiet).start()).rejects.toBeInstanceOf(
      ProjectionVersionError,
    );
  });

  it('startProjectors runs the selected projections and stops them all', async () => {
    const events = await appendUsers(store, 2);
    const [x, y] = [probe('host-x'), probe('host-y')];
    await expect(startProjectors(store, executor, [x, y], { ...quiet, only: ['nope'] })).rejects.toThrow(/unknown projection/);
    const host = await startProjectors(store, executor, [x, y], { ...quiet, only: ['host-y'] });
    expect(host.runners.map((r) => r.name)).toEqual(['host-y']);
    await waitForPosition(executor, ['host-y'], events.at(-1)!.position);
    expect(host.runner('host-y')?.position).toBe(events.at(-1)!.position);
    await host.stop();
    expect(await readProjectionStatuses(executor, store, ['host-x', 'host-y'])).toEqual([
      expect.objectContaining({ name: 'host-y', state: 'stopped', eventsPerSecond: 0 }),
    ]);
  });

  it.runIf(engine === 'postgres')('a runner killed mid-batch leaves nothing of the batch and loses nothing', async () => {
    const events = await appendUsers(store, 8);
    const runnerExecutor = await backend.openExecutor();
    let pid: number | undefined;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blocked = false;
    const p = probe('killed', {
      beforeApply: async (tx, e) => {
        if (!blocked && e.eventId === events[5]!.eventId) {
          blocked = true;
          pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          await gate;
        }
      },
    });
    const runner = new ProjectionRunner(store, runnerExecutor, p, { ...quiet, batchSize: 1000 });
    await runner.start();
    try {
      await eventually(async () => expect(pid).toBeDefined());
      // Mid-batch: the rows already written by the batch and the moved checkpoint are invisible.
      expect((await applied(executor, p.table)).total).toBe(0);
      expect((await readCheckpoint(executor, p.name))?.position).toBe(0);
      await executor.query('SELECT pg_terminate_backend($1)', [pid]);
      release();
      await waitForPosition(executor, [p.name], events.at(-1)!.position, { timeoutMs: 10_000 });
      const result = await applied(executor, p.table);
      expect(result.total).toBe(result.distinct);
      expect(result.positions.filter((pos) => pos >= events[0]!.position)).toEqual(events.map((e) => e.position));
    } finally {
      release();
      await runner.stop();
    }
  });
});

describe('batch transactions kept short (transactionBudgetMs)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend('pglite', 'runtime_budget');
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('after a transaction that ran over the budget the next ones take fewer events, and every event is still applied once, in order', async () => {
    const { store, executor } = backend;
    const events = await appendUsers(store, 60);
    const transactions: string[] = [];
    const p = probe('budget', {
      beforeApply: async (tx) => {
        // 10 ms per event: 30 events are a 300 ms transaction against a 40 ms budget.
        await new Promise((resolve) => setTimeout(resolve, 10));
        const { rows } = await tx.query<{ xid: string }>(`SELECT pg_current_xact_id()::text AS xid`);
        transactions.push(rows[0]!.xid);
      },
    });
    const runner = new ProjectionRunner(store, executor, p, { ...quiet, batchSize: 30, transactionBudgetMs: 40 });
    await runner.start();
    try {
      await waitForPosition(executor, [p.name], events.at(-1)!.position);
    } finally {
      await runner.stop();
    }
    const sizes: number[] = [];
    transactions.forEach((xid, i) => (i > 0 && xid === transactions[i - 1] ? sizes[sizes.length - 1]!++ : sizes.push(1)));
    expect(sizes.reduce((a, b) => a + b)).toBe(60);
    expect(sizes[0]).toBe(30); // the first read batch, whole
    expect(sizes.slice(1).every((n) => n <= 15)).toBe(true); // halved after it
    expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(4); // and down to what fits 40 ms
    const result = await applied(executor, p.table);
    expect(result.positions).toEqual(events.map((e) => e.position));
  });
});
