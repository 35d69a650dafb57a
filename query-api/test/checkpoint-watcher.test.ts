import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPgExecutor, type SqlExecutor, type SqlQueryable } from '@chirp/event-store';
import { ensureCheckpointTable } from '@chirp/projectors/checkpoints';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { CheckpointWatcher } from '../src/checkpoint-watcher.ts';

/**
 * The shared read-your-writes poller, on a real database: however many requests wait,
 * the checkpoint table is read about once per interval, and only while someone waits.
 */
describe('CheckpointWatcher', () => {
  let database: TestDatabase;
  let executor: SqlExecutor;
  let queries = 0;
  // The real database, counting the statements that reach it.
  const counted: SqlQueryable = {
    query: (text, params) => {
      queries++;
      return executor.query(text, params);
    },
  };
  const setPosition = (name: string, position: number) =>
    executor.query(
      `INSERT INTO projection_checkpoints (name, version, position) VALUES ($1, 1, $2)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`,
      [name, position],
    );

  beforeAll(async () => {
    database = await createTestDatabase('checkpoint_watcher');
    executor = await openPgExecutor(database.url);
    await ensureCheckpointTable(executor);
  });
  afterAll(async () => {
    await executor?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    await executor.query('DELETE FROM projection_checkpoints');
    queries = 0;
  });

  it('answers at once when the projections are already there', async () => {
    await setPosition('a', 10);
    await setPosition('b', 12);
    const watcher = new CheckpointWatcher(counted);
    const started = Date.now();
    expect(await watcher.waitFor(['a', 'b'], 10, 5000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('wakes each waiter when every projection it reads has reached its position', async () => {
    await setPosition('a', 1);
    const watcher = new CheckpointWatcher(counted);
    const onA = watcher.waitFor(['a'], 5, 5000);
    const onAandB = watcher.waitFor(['a', 'b'], 5, 5000); // b has no checkpoint yet: it has applied nothing
    let bothDone = false;
    void onAandB.then(() => (bothDone = true));
    await new Promise((r) => setTimeout(r, 50));
    await setPosition('a', 5);
    expect(await onA).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    expect(bothDone).toBe(false);
    await setPosition('b', 9);
    expect(await onAandB).toBe(true);
  });

  it('times out as "not reached", so the read is answered stale', async () => {
    const watcher = new CheckpointWatcher(counted);
    const started = Date.now();
    expect(await watcher.waitFor(['a'], 1, 150)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('polls once per interval for all waiters together, and not at all when nobody waits', async () => {
    const watcher = new CheckpointWatcher(counted, { intervalMs: 15 });
    const waits = Array.from({ length: 100 }, (_, i) => watcher.waitFor(['a', 'b'], 1000 + i, 300));
    expect(await Promise.all(waits)).toEqual(waits.map(() => false));
    // ~300 ms / 15 ms ≈ 20 polls; one poller per request would have made thousands of reads.
    expect(watcher.polls).toBeLessThanOrEqual(30);
    expect(queries).toBeLessThanOrEqual(watcher.polls * 2);
    // A read already in flight when the last waiter timed out may still finish its statements;
    // after that, nothing more.
    for (let settled = -1, i = 0; settled !== queries && i < 50; i++) {
      settled = queries;
      await new Promise((r) => setTimeout(r, 30));
    }
    const idle = queries;
    await new Promise((r) => setTimeout(r, 100));
    expect(queries).toBe(idle);
  });

  it('on close answers every waiter "not reached" at once, and later ones too', async () => {
    const watcher = new CheckpointWatcher(counted);
    const waiting = watcher.waitFor(['a'], 1, 60_000);
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    watcher.close();
    expect(await waiting).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
    expect(await watcher.waitFor(['a'], 0, 60_000)).toBe(false);
  });

  // Last: it closes the database.
  it('fails the waiters when the checkpoints cannot be read', async () => {
    await executor.close();
    const watcher = new CheckpointWatcher(executor);
    await expect(watcher.waitFor(['a'], 1, 1000)).rejects.toThrow(/after calling end on the pool/);
  });
});
