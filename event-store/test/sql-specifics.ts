/**
 * Behaviour of the SQL adapter and its executors beyond the port contract, run on both engines.
 */
import { describe, expect, test } from 'vitest';
import { CorruptEventError, DuplicateEventError, WrongExpectedRevisionError } from '../src/port.ts';
import type { SqlExecutor } from '../src/sql/executor.ts';
import { APPEND_FUNCTION } from '../src/sql/append-function.ts';
import { EVENTS_PER_TRANSACTION } from '../src/sql/schema.ts';
import { appendInTransaction, createSqlEventStore } from '../src/sql/sql-event-store.ts';
import { newEvent, newStreamId } from './contract.ts';

export function describeSqlSpecifics(engine: string, getExecutor: () => SqlExecutor): void {
  describe(`SQL adapter specifics: ${engine}`, () => {
    test('int8 arrives as a JS number and values beyond 2^53 throw', async () => {
      const executor = getExecutor();
      const { rows } = await executor.query<{ a: number; n: number }>(
        `SELECT 9007199254740991::int8 AS a, count(*) AS n FROM (VALUES (1), (2)) v(x)`,
      );
      expect(rows[0]).toEqual({ a: Number.MAX_SAFE_INTEGER, n: 2 });
      await expect(executor.query(`SELECT 9007199254740993::int8 AS x`)).rejects.toThrow(/safe/);
    });

    test('transaction() commits on success and rolls back on throw', async () => {
      const executor = getExecutor();
      await executor.query(`CREATE TABLE IF NOT EXISTS tx_probe (id text PRIMARY KEY)`);
      await executor.transaction(async (tx) => {
        await tx.query(`INSERT INTO tx_probe VALUES ('kept')`);
      });
      await expect(
        executor.transaction(async (tx) => {
          await tx.query(`INSERT INTO tx_probe VALUES ('dropped')`);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const { rows } = await executor.query<{ id: string }>(`SELECT id FROM tx_probe ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual(['kept']);
    });

    test('positions are xid * 65536 + ordinal; several appends in one transaction continue the ordinal', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      try {
        const s1 = newStreamId('tx-a');
        const s2 = newStreamId('tx-b');
        const { first, second, xid } = await executor.transaction(async (tx) => {
          const first = await appendInTransaction(tx, s1, [newEvent(), newEvent()], 'no_stream');
          const second = await appendInTransaction(tx, s2, [newEvent()], 'no_stream');
          const { rows } = await tx.query<{ xid: number }>(`SELECT pg_current_xact_id()::text::bigint AS xid`);
          return { first, second, xid: rows[0]!.xid };
        });
        const base = xid * EVENTS_PER_TRANSACTION;
        expect(first.position).toBe(base + 1);
        expect(second.position).toBe(base + 2);
        const events = [...(await store.readStream(s1)), ...(await store.readStream(s2))];
        expect(events.map((e) => e.position)).toEqual([base, base + 1, base + 2]);
      } finally {
        await store.close();
      }
    });

    test("appends inside a caller's transaction are announced on its commit, not by the poll", async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor, { pollIntervalMs: 10_000 });
      try {
        const streamId = newStreamId('tx-notify');
        const subscription = store.subscribe(await store.headPosition());
        const iterator = subscription[Symbol.asyncIterator]();
        const delivered = (async () => {
          for (;;) {
            const next = await iterator.next();
            if (next.done || next.value.some((e) => e.streamId === streamId)) return next.done ? 'ended' : 'delivered';
          }
        })();
        await new Promise((r) => setTimeout(r, 200)); // caught up and waiting
        const started = Date.now();
        await executor.transaction((tx) => appendInTransaction(tx, streamId, [newEvent()], 'no_stream'));
        expect(await delivered).toBe('delivered');
        expect(Date.now() - started).toBeLessThan(2_000);
        await subscription.close();
      } finally {
        await store.close();
      }
    });

    test('a transaction may not append more than 65536 events', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      try {
        const tooMany = Array.from({ length: EVENTS_PER_TRANSACTION + 1 }, () => newEvent());
        await expect(store.append(newStreamId(), tooMany, 'any')).rejects.toThrow(RangeError);
        // Across several appends of one transaction as well: take the last ordinal by hand.
        const streamId = newStreamId('full');
        await expect(
          executor.transaction(async (tx) => {
            await tx.query(
              `INSERT INTO chirp_events (position, transaction_id, event_id, stream_id, stream_revision, type, data,
                                         metadata, schema_version, occurred_at)
               VALUES (pg_current_xact_id()::text::bigint * 65536 + 65535, pg_current_xact_id(), gen_random_uuid(),
                       $1, 0, 'Filler', '{}', '{}', 1, now())`,
              [newStreamId('filler')],
            );
            await appendInTransaction(tx, streamId, [newEvent()], 'any');
          }),
        ).rejects.toThrow(/at most 65536/);
        expect(await store.readStream(streamId)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    test('a failed expectation inside a caller-owned transaction leaves no trace', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      try {
        const streamId = newStreamId('caller-tx');
        const other = newStreamId('caller-tx-other');
        await executor.transaction(async (tx) => {
          await expect(appendInTransaction(tx, streamId, [newEvent()], 'stream_exists')).rejects.toBeInstanceOf(
            WrongExpectedRevisionError,
          );
          await appendInTransaction(tx, other, [newEvent()], 'no_stream');
        });
        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.append(streamId, [newEvent()], 'no_stream')).toMatchObject({ nextRevision: 0 });
        expect(await store.readStream(other)).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    test('a duplicate found inside a caller-owned transaction leaves it usable and leaves no stream behind', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      try {
        const event = newEvent();
        await store.append(newStreamId('earlier'), [event], 'no_stream');
        const streamId = newStreamId('caller-tx-dup');
        const other = newStreamId('caller-tx-dup-other');
        await executor.transaction(async (tx) => {
          await expect(appendInTransaction(tx, streamId, [event], 'no_stream')).rejects.toBeInstanceOf(DuplicateEventError);
          await appendInTransaction(tx, other, [newEvent()], 'no_stream');
        });
        const { rows } = await executor.query(`SELECT 1 FROM chirp_streams WHERE stream_id = $1`, [streamId]);
        expect(rows).toEqual([]);
        expect(await store.readStream(other)).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    test('a database set up before the append function existed gets it on the next start', async () => {
      const executor = getExecutor();
      await executor.query(`DROP FUNCTION IF EXISTS ${APPEND_FUNCTION}(text, text, bigint, jsonb, boolean)`);
      const store = await createSqlEventStore(executor);
      try {
        expect(await store.append(newStreamId('upgraded'), [newEvent()], 'no_stream')).toMatchObject({ nextRevision: 0 });
      } finally {
        await store.close();
      }
    });

    test('two ids repeated inside one batch are a duplicate', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      try {
        const event = newEvent();
        const streamId = newStreamId();
        await expect(store.append(streamId, [event, event], 'any')).rejects.toBeInstanceOf(DuplicateEventError);
        expect(await store.readStream(streamId)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    test('a stored row that is not a valid envelope is a CorruptEventError naming its position, never half an event', async () => {
      const executor = getExecutor();
      const store = await createSqlEventStore(executor);
      const streamId = newStreamId('corrupt');
      const event = newEvent();
      const { position } = await store.append(streamId, [event], 'no_stream');
      try {
        // Readable only once every older transaction on the (shared) server has ended.
        for (let tries = 0; (await store.headPosition()) < position && tries < 500; tries++) await new Promise((r) => setTimeout(r, 10));
        // Written around the store (a manual fix, an old bug): metadata without a correlation id.
        await executor.query(`UPDATE chirp_events SET metadata = '{"causationId": 7}' WHERE event_id = $1`, [event.eventId]);
        for (const read of [() => store.readAll(position - 1, 10), () => store.readStream(streamId)]) {
          const err = await read().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(CorruptEventError);
          expect(err).toMatchObject({ position, streamId });
          expect((err as Error).message).toContain(`position ${position}`);
          expect((err as Error).message).toMatch(/metadata\.correlationId/);
          expect((err as Error).message).toMatch(/metadata\.causationId/);
        }
      } finally {
        await executor.query(`DELETE FROM chirp_events WHERE event_id = $1`, [event.eventId]);
        await executor.query(`DELETE FROM chirp_streams WHERE stream_id = $1`, [streamId]);
        await store.close();
      }
    });

    test('metadata the domain schema refuses is refused on append, so no reader ever meets it', async () => {
      const store = await createSqlEventStore(getExecutor());
      try {
        const streamId = newStreamId('bad-metadata');
        const bad = newEvent({ metadata: { correlationId: '', causationId: 'c', actorUserId: null } });
        await expect(store.append(streamId, [bad], 'any')).rejects.toThrow(/metadata of event .* correlationId/);
        expect(await store.readStream(streamId)).toEqual([]);
        // Keys the schema does not know are kept, both ways.
        const extra = newEvent({ metadata: { correlationId: 'c', causationId: 'c', actorUserId: null, tenant: 't1' } as never });
        await store.append(streamId, [extra], 'no_stream');
        expect((await store.readStream(streamId))[0]!.metadata).toEqual(extra.metadata);
      } finally {
        await store.close();
      }
    });

    test('creating the schema twice, concurrently, is harmless', async () => {
      const executor = getExecutor();
      const stores = await Promise.all([createSqlEventStore(executor), createSqlEventStore(executor)]);
      await Promise.all(stores.map((s) => s.close()));
    });

    test('bad arguments are refused before touching the database', async () => {
      const store = await createSqlEventStore(getExecutor());
      try {
        await expect(store.append('', [newEvent()], 'any')).rejects.toThrow(TypeError);
        await expect(store.append(newStreamId(), [newEvent({ eventId: 'not-a-uuid' })], 'any')).rejects.toThrow(TypeError);
        await expect(store.append(newStreamId(), [newEvent({ occurredAt: 'yesterday' })], 'any')).rejects.toThrow(TypeError);
        await expect(store.append(newStreamId(), [newEvent()], -1)).rejects.toThrow(RangeError);
        await expect(store.readAll(-1, 10)).rejects.toThrow(RangeError);
        expect(() => store.subscribe(0, { batchSize: 0 })).toThrow(RangeError);
      } finally {
        await store.close();
      }
    });
  });
}
