import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgExecutor, type SqlExecutor } from '@chirp/event-store';
import {
  advanceRelayCheckpoint,
  CorruptRelayCheckpointError,
  openRelayCheckpoint,
  readRelayCheckpoint,
  RelayCheckpointConflictError,
} from '../src/relay-checkpoint.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

/**
 * The relay checkpoint on a real PostgreSQL server. Two executors (two pools) stand for two relay
 * processes on one database.
 */
let database: TestDatabase;
let a: SqlExecutor;
let b: SqlExecutor;

beforeAll(async () => {
  database = await createTestDatabase('relay_checkpoint');
  a = await openPgExecutor(database.url);
  b = await openPgExecutor(database.url);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
});

describe('relay checkpoint', () => {
  it('reads as absent before the table exists, then starts a new relay at 0', async () => {
    expect(await readRelayCheckpoint(a, 'fresh')).toBeNull();
    const row = await openRelayCheckpoint(a, 'fresh');
    expect(row).toMatchObject({ name: 'fresh', position: 0, publishedTotal: 0 });
    expect(row.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Opening again (a restart, or a second process) keeps the row as it is.
    await advanceRelayCheckpoint(a, { name: 'fresh', from: 0, to: 5, published: 5 });
    expect(await openRelayCheckpoint(b, 'fresh')).toMatchObject({ position: 5, publishedTotal: 5 });
  });

  it('moves forward by compare-and-set and counts what was published', async () => {
    await openRelayCheckpoint(a, 'forward');
    await advanceRelayCheckpoint(a, { name: 'forward', from: 0, to: 10, published: 7 });
    await advanceRelayCheckpoint(a, { name: 'forward', from: 10, to: 25, published: 3 });
    expect(await readRelayCheckpoint(b, 'forward')).toMatchObject({ position: 25, publishedTotal: 10 });
  });

  it('refuses to stand still or go back', async () => {
    await openRelayCheckpoint(a, 'back');
    await expect(advanceRelayCheckpoint(a, { name: 'back', from: 0, to: 0, published: 0 })).rejects.toThrow(RangeError);
    await expect(advanceRelayCheckpoint(a, { name: 'back', from: 5, to: 3, published: 1 })).rejects.toThrow(/can only move forward/);
  });

  it('a second relay that read the same position cannot advance it: it fails clearly, the row keeps the first', async () => {
    const name = 'two-relays';
    const first = await openRelayCheckpoint(a, name);
    const second = await openRelayCheckpoint(b, name);
    expect([first.position, second.position]).toEqual([0, 0]);
    await advanceRelayCheckpoint(a, { name, from: 0, to: 100, published: 100 });
    const attempt = advanceRelayCheckpoint(b, { name, from: 0, to: 60, published: 60 });
    await expect(attempt).rejects.toBeInstanceOf(RelayCheckpointConflictError);
    await expect(attempt).rejects.toThrow(
      'relay checkpoint two-relays in relay_checkpoints is no longer at position 0 (it is at 100): another relay with the same name advanced it',
    );
    expect(await readRelayCheckpoint(a, name)).toMatchObject({ position: 100, publishedTotal: 100 });
  });

  it('of two relays racing from one position exactly one wins, on every try', async () => {
    for (let round = 0; round < 20; round++) {
      const name = `race-${round}`;
      await openRelayCheckpoint(a, name);
      const results = await Promise.allSettled([
        advanceRelayCheckpoint(a, { name, from: 0, to: 10, published: 10 }),
        advanceRelayCheckpoint(b, { name, from: 0, to: 20, published: 20 }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(RelayCheckpointConflictError);
      const row = await readRelayCheckpoint(a, name);
      expect(row?.position).toBe(results[0]!.status === 'fulfilled' ? 10 : 20);
    }
  });

  it('a row that disappeared is a conflict too, and a corrupt row is named', async () => {
    await openRelayCheckpoint(a, 'gone');
    await a.query(`DELETE FROM relay_checkpoints WHERE name = 'gone'`);
    await expect(advanceRelayCheckpoint(a, { name: 'gone', from: 0, to: 1, published: 1 })).rejects.toThrow(/\(the row is gone\)/);
    await openRelayCheckpoint(a, 'odd');
    await a.query(`ALTER TABLE relay_checkpoints DROP CONSTRAINT relay_checkpoints_position_check`);
    await a.query(`UPDATE relay_checkpoints SET position = -3 WHERE name = 'odd'`);
    await expect(readRelayCheckpoint(a, 'odd')).rejects.toThrow(CorruptRelayCheckpointError);
    await expect(readRelayCheckpoint(a, 'odd')).rejects.toThrow(/relay odd in relay_checkpoints is corrupt: position: /);
  });
});
