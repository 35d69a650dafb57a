import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { root } from '../../test-support/processes.ts';

/**
 * `chirp events export` run as operators run it (a child process of the real bin shim) against a
 * real PostgreSQL database holding a known log: what comes out is compared with what the store
 * itself reads back.
 */
const bin = join(root, 'platform', 'bin', 'chirp.mjs');
const noStack = /\n\s+at /;

let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
/** Everything in the log, as the store reads it: the truth the exports are checked against. */
let log: StoredEvent[];
const alice = randomUUID();
const bob = randomUUID();
const tweet = randomUUID();

function event(type: string, data: unknown): NewEvent {
  const id = randomUUID();
  return {
    eventId: id,
    type,
    data,
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: `corr-${id}`, causationId: `cause-${id}`, actorUserId: alice },
  };
}

beforeAll(async () => {
  database = await createTestDatabase('cli_export');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
  await store.append(`user-${alice}`, [event('UserRegistered', { userId: alice, handle: 'alice', displayName: 'Alice', passwordHash: 'x' })], 'no_stream');
  await store.append(`user-${bob}`, [event('UserRegistered', { userId: bob, handle: 'bob', displayName: 'Bob', passwordHash: 'x' })], 'no_stream');
  await store.append(`follow-${alice}-${bob}`, [event('Followed', { followerId: alice, followeeId: bob })], 'no_stream');
  await store.append(`tweet-${tweet}`, [event('TweetPosted', { tweetId: tweet, authorId: bob, text: 'hi', hashtags: [], mentions: [] })], 'no_stream');
  await store.append(`engagement-${tweet}-${alice}`, [event('TweetLiked', { tweetId: tweet, authorId: bob, userId: alice })], 'no_stream');
  await store.append(`follow-${alice}-${bob}`, [event('Unfollowed', { followerId: alice, followeeId: bob })], 0);
  await store.append(`tweet-${tweet}`, [event('TweetDeleted', { tweetId: tweet, authorId: bob })], 0);
  // Enough bulk (~150 kB of NDJSON) that a pipe's buffer fills up when its reader pauses.
  for (let s = 0; s < 10; s++) {
    const id = randomUUID();
    const text = `bulk tweet ${'x'.repeat(200)}`;
    await store.append(`tweet-${id}`, Array.from({ length: 30 }, () => event('TweetPosted', { tweetId: id, authorId: bob, text, hashtags: [], mentions: [] })), 'any');
  }
  log = await store.readAll(0, 10_000);
});

afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process, with only the CHIRP_* variables the test gives it. */
function chirp(args: readonly string[], options: { env?: Record<string, string>; pauseStdoutMs?: number; closeStdoutAfterFirstChunk?: boolean } = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHIRP_') && k !== 'NODE_ENV'));
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...env, CHIRP_DATABASE_URL: database.url, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  if (options.pauseStdoutMs) {
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), options.pauseStdoutMs);
  }
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (options.closeStdoutAfterFirstChunk) child.stdout.destroy();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function parseNdjson(text: string): StoredEvent[] {
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text === '' ? [] : text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as StoredEvent);
}

describe('chirp events export', () => {
  it.concurrent('writes every event, in position order, as one JSON envelope per line (read in many pages)', async () => {
    const run = await chirp(['events', 'export', '--page-size', '7']);
    expect(run.stderr).toBe(''); // no progress without a terminal
    expect(run.code).toBe(0);
    const exported = parseNdjson(run.stdout);
    expect(exported).toEqual(log);
    expect(Object.keys(exported[0]!)).toEqual(['position', 'eventId', 'streamId', 'streamRevision', 'type', 'schemaVersion', 'occurredAt', 'data', 'metadata']);
  });

  it.concurrent('filters by type: repeated options and comma-separated lists', async () => {
    const run = await chirp(['events', 'export', '--type', 'Followed,Unfollowed', '--type', 'TweetLiked', '--page-size', '5']);
    expect(run.code, run.stderr).toBe(0);
    expect(parseNdjson(run.stdout)).toEqual(log.filter((e) => ['Followed', 'Unfollowed', 'TweetLiked'].includes(e.type)));
  });

  it.concurrent('filters by stream, and by stream and type together', async () => {
    const stream = await chirp(['events', 'export', '--stream', `tweet-${tweet}`]);
    expect(stream.code, stream.stderr).toBe(0);
    expect(parseNdjson(stream.stdout).map((e) => e.type)).toEqual(['TweetPosted', 'TweetDeleted']);
    expect(parseNdjson(stream.stdout)).toEqual(log.filter((e) => e.streamId === `tweet-${tweet}`));
    const both = await chirp(['events', 'export', '--stream', `tweet-${tweet}`, '--type', 'TweetDeleted']);
    expect(parseNdjson(both.stdout)).toEqual(log.filter((e) => e.streamId === `tweet-${tweet}` && e.type === 'TweetDeleted'));
    const none = await chirp(['events', 'export', '--stream', 'no-such-stream']);
    expect([none.code, none.stdout]).toEqual([0, '']);
  });

  it.concurrent('filters by an inclusive position range, for the whole log and for one stream', async () => {
    const from = log[2]!.position;
    const to = log[40]!.position;
    const run = await chirp(['events', 'export', '--from-position', String(from), '--to-position', String(to), '--page-size', '6']);
    expect(run.code, run.stderr).toBe(0);
    expect(parseNdjson(run.stdout)).toEqual(log.slice(2, 41));
    const bulk = log.filter((e) => e.streamId === log[40]!.streamId);
    const inStream = await chirp(['events', 'export', '--stream', log[40]!.streamId, '--from-position', String(bulk[3]!.position), '--to-position', String(to), '--page-size', '4']);
    expect(parseNdjson(inStream.stdout)).toEqual(bulk.filter((e) => e.position >= bulk[3]!.position && e.position <= to));
  });

  it.concurrent('an unknown event type exits 2 naming the valid types, before touching the database', async () => {
    const run = await chirp(['events', 'export', '--type', 'TweetPosted,TweetPost'], { env: { CHIRP_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/is invalid\. unknown event type TweetPost; valid types: HandleReserved, .*TweetPosted/);
    expect(run.stderr).not.toMatch(noStack);
    const cased = await chirp(['events', 'export', '--type', 'tweetposted']);
    expect([cased.code, cased.stderr]).toEqual([2, expect.stringContaining('did you mean TweetPosted?')]);
  });

  it.concurrent.each([['-1'], ['1.5'], ['abc'], ['1e3'], ['9007199254740992']])('--from-position %s exits 2 with one line', async (value) => {
    const run = await chirp(['events', 'export', '--from-position', value]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--from-position/);
  });

  it.concurrent('a range that ends before it starts exits 2', async () => {
    const run = await chirp(['events', 'export', '--from-position', '10', '--to-position', '9']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'chirp: --to-position 9 is before --from-position 10\n' });
  });

  it.concurrent('--progress reports on stderr and leaves stdout pure NDJSON', async () => {
    const run = await chirp(['events', 'export', '--progress', '--page-size', '50']);
    expect(run.code, run.stderr).toBe(0);
    expect(parseNdjson(run.stdout)).toEqual(log);
    expect(run.stderr).toMatch(new RegExp(`exporting .* ${log.length}/${log.length} events · [\\d.]+ events/s · took`));
  });

  it.concurrent('waits for a reader that pauses, and loses nothing', async () => {
    const run = await chirp(['events', 'export', '--page-size', '20'], { pauseStdoutMs: 1500 });
    expect(run.code, run.stderr).toBe(0);
    expect(parseNdjson(run.stdout)).toEqual(log);
  });

  it.concurrent('a reader that goes away (| head) ends the export quietly', async () => {
    const run = await chirp(['events', 'export', '--page-size', '1'], { closeStdoutAfterFirstChunk: true });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it.concurrent('an unreachable database is one line and exit 1; CHIRP_DEBUG=1 adds the stack', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/none';
    const run = await chirp(['events', 'export'], { env: { CHIRP_DATABASE_URL: url } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chirp: cannot open the database \(PostgreSQL 127\.0\.0\.1:1\/none\): .*ECONNREFUSED.*\n$/);
    const debug = await chirp(['events', 'export'], { env: { CHIRP_DATABASE_URL: url, CHIRP_DEBUG: '1' } });
    expect(debug.stderr).toMatch(noStack);
  });
});
