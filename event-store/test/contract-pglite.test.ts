import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SqlExecutor } from '../src/sql/executor.ts';
import { openPgliteExecutor } from '../src/sql/pglite-executor.ts';
import { createSqlEventStore } from '../src/sql/sql-event-store.ts';
import { describeEventStoreContract, newEvent, newStreamId } from './contract.ts';
import { describeSqlSpecifics } from './sql-specifics.ts';

// One in-memory PGlite for the file (opening one costs seconds); each test gets a fresh store on it.
let executor: SqlExecutor;
beforeAll(async () => {
  executor = await openPgliteExecutor('memory://');
});
afterAll(async () => {
  await executor?.close();
});

test('a fresh store is empty', async () => {
  const store = await createSqlEventStore(executor);
  try {
    expect(await store.headPosition()).toBe(0);
    expect(await store.countAfter(0, 10)).toBe(0);
    expect(await store.readAll(0, 10)).toEqual([]);
    const result = await store.append(newStreamId(), [newEvent()], 'no_stream');
    expect(await store.headPosition()).toBe(result.position);
    expect(await store.countAfter(0, 10)).toBe(1);
  } finally {
    await store.close();
  }
});

describeEventStoreContract('PGlite in memory', async () => {
  const store = await createSqlEventStore(executor, { pollIntervalMs: 10_000 });
  return { store, cleanup: () => store.close() };
});

describeSqlSpecifics('PGlite', () => executor);

describe('PGlite executor', () => {
  test('a transaction has the connection to itself: other queries wait, nothing interleaves', async () => {
    await executor.query(`CREATE TABLE IF NOT EXISTS serial_probe (n int)`);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = executor.transaction(async (t) => {
      order.push('tx begin');
      await t.query(`INSERT INTO serial_probe VALUES (1)`);
      await gate;
      await t.query(`INSERT INTO serial_probe VALUES (2)`);
      order.push('tx end');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = executor.query<{ n: number }>(`SELECT count(*)::int AS n FROM serial_probe`).then((r) => {
      order.push(`outside saw ${r.rows[0]!.n}`);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['tx begin']);
    release();
    await Promise.all([tx, outside]);
    expect(order).toEqual(['tx begin', 'tx end', 'outside saw 2']);
  });

  test('using the executor instead of tx inside a transaction throws instead of deadlocking', async () => {
    await expect(executor.transaction(async () => executor.query('SELECT 1'))).rejects.toThrow(/use the tx argument/);
  });

  test('listen receives NOTIFY, also from inside a transaction at commit', async () => {
    const got: string[] = [];
    const unlisten = await executor.listen('probe_channel', (p) => got.push(p));
    await executor.query(`SELECT pg_notify('probe_channel', 'one')`);
    await executor.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('probe_channel', 'two')`);
    });
    await new Promise((r) => setTimeout(r, 20));
    await unlisten();
    await executor.query(`SELECT pg_notify('probe_channel', 'three')`);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['one', 'two']);
  });
});

describe('PGlite on disk', () => {
  test('events survive close and reopen; positions keep increasing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chirp-pglite-'));
    try {
      const streamId = newStreamId('disk');
      const first = newEvent();
      let firstPosition: number;
      {
        const disk = await openPgliteExecutor(dir);
        const store = await createSqlEventStore(disk);
        firstPosition = (await store.append(streamId, [first], 'no_stream')).position;
        await store.close();
        await disk.close();
      }
      {
        const disk = await openPgliteExecutor(dir);
        const store = await createSqlEventStore(disk);
        const [stored] = await store.readStream(streamId);
        expect(stored).toStrictEqual({ ...first, streamId, streamRevision: 0, position: firstPosition });
        const second = await store.append(streamId, [newEvent()], 0);
        expect(second.position).toBeGreaterThan(firstPosition);
        expect((await store.readAll(0, 10)).map((e) => e.position)).toEqual([firstPosition, second.position]);
        await store.close();
        await disk.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
