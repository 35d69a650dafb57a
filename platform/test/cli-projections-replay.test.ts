import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChirp } from './run-chirp.ts';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { shadowSchemaOf } from '@chirp/projectors/replay/shadow-schema';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

/** `chirp projections replay` as a child process against a real PostgreSQL database. */
let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
let head = 0;
const tweetIds = [randomUUID(), randomUUID(), randomUUID()];

beforeAll(async () => {
  database = await createTestDatabase('cli_replay');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
  const author = randomUUID();
  const metadata = { correlationId: 'c', causationId: 'k', actorUserId: author };
  const event = (type: string, data: unknown) => ({ eventId: randomUUID(), type, data, schemaVersion: 1, occurredAt: new Date().toISOString(), metadata });
  await store.append(`user-${author}`, [event('UserRegistered', { userId: author, handle: 'replayer', displayName: 'R', passwordHash: 'h' })], 'no_stream');
  for (const tweetId of tweetIds) {
    head = (await store.append(`tweet-${tweetId}`, [event('TweetPosted', { tweetId, authorId: author, text: '#replay me', hashtags: ['replay'], mentions: [] })], 'no_stream')).position;
  }
});

afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const chirp = (args: readonly string[]) => runChirp(args, { CHIRP_DATABASE_URL: database.url });

describe('chirp projections replay', () => {
  it('builds the projection beside the live one and switches: its tables and checkpoint are there', async () => {
    const run = await chirp(['projections', 'replay', 'search']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^replayed search \\(version \\d+\\): 4 events in [\\d.]+ s \\(\\d+ events/s\\); live from position ${head}\\n$`));
    const { rows } = await executor.query<{ tweet_id: string }>(`SELECT tweet_id FROM rm_search_tweets ORDER BY tweet_id`);
    expect(rows.map((r) => r.tweet_id)).toEqual([...tweetIds].sort());
    const checkpoint = await executor.query<{ position: number }>(`SELECT position FROM projection_checkpoints WHERE name = 'search'`);
    expect(checkpoint.rows).toEqual([{ position: head }]);
    // The indexes came along, the trigram ones included (pg_trgm lives in public, not in the shadow).
    const indexes = await executor.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'rm_search_users'`);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(expect.arrayContaining(['rm_search_users_handle_trgm', 'rm_search_users_name_trgm']));
    const schemas = await executor.query(`SELECT 1 FROM pg_namespace WHERE nspname LIKE 'chirp_shadow_%'`);
    expect(schemas.rows).toEqual([]);
  });

  it('an unknown projection is a usage error; a replay in progress is refused unless --force', async () => {
    const unknown = await chirp(['projections', 'replay', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown projection nope; projections: .*search/);
    await executor.query(`CREATE SCHEMA ${shadowSchemaOf('trends')}`);
    const busy = await chirp(['projections', 'replay', 'trends']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/a replay of trends is in progress, or an earlier one was interrupted/);
    expect((await chirp(['projections', 'replay', 'trends', '--force'])).code).toBe(0);
  });
});
