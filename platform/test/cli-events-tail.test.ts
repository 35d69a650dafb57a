import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { spawnChirp } from './run-chirp.ts';

/** `chirp events tail` as a real child process following a real PostgreSQL event store. */
let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;

beforeAll(async () => {
  database = await createTestDatabase('cli_tail');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
});

afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const metadata = (actorUserId: string | null) => ({ correlationId: 'c', causationId: 'k', actorUserId });
const event = (type: string, data: unknown, actor: string | null) => ({
  eventId: randomUUID(),
  type,
  data,
  schemaVersion: 1,
  occurredAt: new Date().toISOString(),
  metadata: metadata(actor),
});
const post = (author: string) => {
  const tweetId = randomUUID();
  return store.append(`tweet-${tweetId}`, [event('TweetPosted', { tweetId, authorId: author, text: 'live', hashtags: [], mentions: [] }, author)], 'no_stream');
};

it('prints the selected events as they are appended, and ends with exit 0 on Ctrl+C', async () => {
  const alice = randomUUID();
  const bob = randomUUID();
  const first = await post(alice);
  const child = spawnChirp(['events', 'tail', '--json', '--type', 'TweetPosted', '--user', alice, '--from-position', String(first.position)], {
    CHIRP_DATABASE_URL: database.url,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { position: number; type: string; metadata: { actorUserId: string } });
  const until = async (n: number) => {
    const deadline = Date.now() + 20_000;
    while (lines().length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} lines, got: ${stdout} / ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await until(1);
    expect(lines()[0]).toMatchObject({ position: first.position, type: 'TweetPosted' });
    // Appended while it follows: another user's post and a registration are left out.
    await post(bob);
    await store.append(`user-${alice}`, [event('UserRegistered', { userId: alice, handle: 'tailed', displayName: 'T', passwordHash: 'h' }, null)], 'no_stream');
    const second = await post(alice);
    await until(2);
    expect(lines().map((l) => l.position)).toEqual([first.position, second.position]);
    expect(lines().every((l) => l.metadata.actorUserId === alice)).toBe(true);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited, stderr).toBe(0);
});
