import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import type { SqlExecutor } from '../src/sql/executor.ts';
import { openPgExecutor } from '../src/sql/pg-executor.ts';
import { createSqlEventStore } from '../src/sql/sql-event-store.ts';
import { describeEventStoreContract, newEvent, newStreamId } from './contract.ts';
import { describeSqlSpecifics } from './sql-specifics.ts';

let database: TestDatabase;
let executor: SqlExecutor;
beforeAll(async () => {
  database = await createTestDatabase('event_store_contract');
  executor = await openPgExecutor(database.url, { maxConnections: 20 });
});
afterAll(async () => {
  await executor?.close();
  await database?.drop();
});

test('a fresh store is empty', async () => {
  const store = await createSqlEventStore(executor);
  try {
    expect(await store.headPosition()).toBe(0);
    expect(await store.countAfter(0, 10)).toBe(0);
    expect(await store.readAll(0, 10)).toEqual([]);
  } finally {
    await store.close();
  }
});

describeEventStoreContract('PostgreSQL', async () => {
  const store = await createSqlEventStore(executor, { pollIntervalMs: 10_000 });
  return { store, cleanup: () => store.close() };
});

describeSqlSpecifics('PostgreSQL', () => executor);

describe('PostgreSQL executor', () => {
  test('every pooled session runs with idle_in_transaction_session_timeout (default 60 s)', async () => {
    const { rows } = await executor.query<{ t: string }>(`SELECT current_setting('idle_in_transaction_session_timeout') AS t`);
    expect(rows[0]!.t).toBe('1min');
    const inside = await executor.transaction((tx) => tx.query<{ t: string }>(`SELECT current_setting('idle_in_transaction_session_timeout') AS t`));
    expect(inside.rows[0]!.t).toBe('1min');
  });

  test('listen re-LISTENs after its connection is killed', async () => {
    const got: string[] = [];
    const unlisten = await executor.listen('reconnect_probe', (p) => got.push(p));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = 'LISTEN "reconnect_probe"'`,
      );
      expect(killed.rowCount).toBe(1);
      // A channel added while the connection is down must not make the older one forgotten.
      await new Promise((r) => setTimeout(r, 20));
      const gotSecond: string[] = [];
      const unlistenSecond = await executor.listen('reconnect_probe_2', (p) => gotSecond.push(p));
      const deadline = Date.now() + 10_000;
      while (!(got.includes('after') && gotSecond.includes('second')) && Date.now() < deadline) {
        await admin.query(`SELECT pg_notify('reconnect_probe', 'after'), pg_notify('reconnect_probe_2', 'second')`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(got).toContain('after');
      expect(gotSecond).toContain('second');
      await unlistenSecond();
    } finally {
      await admin.end();
      await unlisten();
    }
  });

  test('a subscription keeps delivering after the LISTEN connection is killed', async () => {
    const store = await createSqlEventStore(executor, { pollIntervalMs: 10_000 });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const streamId = newStreamId('relisten');
      const subscription = store.subscribe(await store.headPosition());
      const seen: string[] = [];
      const done = (async () => {
        for await (const batch of subscription) seen.push(...batch.filter((e) => e.streamId === streamId).map((e) => e.eventId));
      })();
      await new Promise((r) => setTimeout(r, 100));
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      );
      await new Promise((r) => setTimeout(r, 500)); // reconnect backoff starts at 100 ms
      const event = newEvent();
      await store.append(streamId, [event], 'no_stream');
      const deadline = Date.now() + 3_000;
      while (!seen.includes(event.eventId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([event.eventId]);
      await subscription.close();
      await done;
    } finally {
      await admin.end();
      await store.close();
    }
  });
});
