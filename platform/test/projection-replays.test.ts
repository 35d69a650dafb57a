import { afterAll, beforeAll, expect, it } from 'vitest';
import { shadowSchemaOf } from '@chirp/projectors/replay/shadow-schema';
import { loadConfig } from '../src/config.ts';
import { openDatabase, type Database } from '../src/database.ts';
import { ProjectionReplays } from '../src/projection-replays.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

/** Replays started over HTTP run in the process's background; a shutdown must not strand their shadows. */
let database: TestDatabase;
let db: Database;
const env = () => ({ CHIRP_DATABASE_URL: database.url, CHIRP_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!' });

beforeAll(async () => {
  database = await createTestDatabase('replays_stop');
  db = await openDatabase(loadConfig(env()));
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

it('stop() aborts a running replay, which drops its shadow schema, and waits for it', async () => {
  const lines: Record<string, unknown>[] = [];
  const replays = new ProjectionReplays(db, loadConfig(env()), (line) => lines.push(line));
  expect(replays.start('search')).toBe('started');
  expect(replays.start('search')).toBe('running');
  await replays.stop();
  expect(lines).toEqual([expect.objectContaining({ msg: 'projection replay failed', projection: 'search', error: 'the process is shutting down' })]);
  const { rows } = await db.executor.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [shadowSchemaOf('search')]);
  expect(rows).toEqual([]);
});
