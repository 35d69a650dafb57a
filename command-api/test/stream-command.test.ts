import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { ChirpEvent } from '@chirp/domain';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { keyedCommandIds } from '../src/command-ids.ts';
import { envelope, runStreamCommand, type CommandDeps } from '../src/stream-command.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
let deps: CommandDeps;

beforeAll(async () => {
  database = await createTestDatabase('stream_command');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
  deps = { store, clock: () => new Date(), log: () => {} };
});
afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const metadata = { correlationId: 'c', causationId: 'request:test', actorUserId: null };

describe('runStreamCommand under an Idempotency-Key', () => {
  it('answers from the stored events when another run of the same key appended between its read and its append', async () => {
    const tweetId = uuidv7();
    const streamId = `tweet-${tweetId}`;
    const posted: ChirpEvent = { type: 'TweetPosted', data: { tweetId, authorId: uuidv7(), text: 'once', hashtags: [], mentions: [] } };
    const eventIds = () => keyedCommandIds('user:u', 'key-1', tweetId).eventIds('post');
    let other: Awaited<ReturnType<typeof runStreamCommand>> | undefined;
    const outcome = await runStreamCommand(deps, {
      command: 'PostTweet',
      streamId,
      metadata,
      eventIds: eventIds(),
      decide: async () => {
        // The other run (its lease ran out while this one was slow) gets there first.
        other = await runStreamCommand(deps, { command: 'PostTweet', streamId, metadata, eventIds: eventIds(), decide: () => [posted] });
        return [posted];
      },
    });
    expect(outcome.position).toBe(other!.position);
    expect(outcome.events).toEqual([posted]);
    expect(await store.readStream(streamId)).toHaveLength(1);
  });

  it('appends events with ids derived from the key, the same on every run', async () => {
    const seed = uuidv7();
    const a = keyedCommandIds('user:u', 'key-2', seed).eventIds('post');
    const b = keyedCommandIds('user:u', 'key-2', seed).eventIds('post');
    expect(a.id(0)).toBe(b.id(0));
    expect(a.id(0)).not.toBe(a.id(1));
    expect(keyedCommandIds('user:u', 'key-2', uuidv7()).eventIds('post').id(0)).not.toBe(a.id(0));
    expect(keyedCommandIds('user:v', 'key-2', seed).eventIds('post').id(0)).not.toBe(a.id(0));
  });
});

describe('runStreamCommand for a stream expected to be new', () => {
  /** The store, counting the streams read through it. */
  const reading = () => {
    const reads: string[] = [];
    const counted: EventStore = { ...store, readStream: (id, options) => (reads.push(id), store.readStream(id, options)) };
    return { reads, deps: { ...deps, store: counted } };
  };
  const posted = (tweetId: string): ChirpEvent => ({
    type: 'TweetPosted',
    data: { tweetId, authorId: uuidv7(), text: 'new', hashtags: [], mentions: [] },
  });

  it('appends with no read of the stream, deciding over an empty history', async () => {
    const tweetId = uuidv7();
    const { reads, deps: counting } = reading();
    const histories: number[] = [];
    const outcome = await runStreamCommand(counting, {
      command: 'PostTweet',
      streamId: `tweet-${tweetId}`,
      metadata,
      expectNewStream: true,
      decide: (history) => (histories.push(history.revision), [posted(tweetId)]),
    });
    expect(reads).toEqual([]);
    expect(histories).toEqual([-1]);
    const stream = await store.readStream(`tweet-${tweetId}`);
    expect(stream.map((e) => e.type)).toEqual(['TweetPosted']);
    expect(outcome.position).toBe(stream[0]!.position);
  });

  it('a re-run under the same Idempotency-Key answers with the first run and appends nothing', async () => {
    const tweetId = uuidv7();
    const streamId = `tweet-${tweetId}`;
    const run = () =>
      runStreamCommand(deps, {
      command: 'PostTweet',
        streamId,
        metadata,
        expectNewStream: true,
        eventIds: keyedCommandIds('user:u', 'key-new', tweetId).eventIds('post'),
        decide: (history) => (history.revision < 0 ? [posted(tweetId)] : []),
      });
    const first = await run();
    const head = await store.headPosition();
    const again = await run();
    expect(again).toEqual(first);
    expect(await store.headPosition()).toBe(head);
    expect(await store.readStream(streamId)).toHaveLength(1);
  });

  it('decides on the real history when the stream exists after all', async () => {
    const tweetId = uuidv7();
    const streamId = `tweet-${tweetId}`;
    await store.append(streamId, [envelope(posted(tweetId), uuidv7(), metadata, () => new Date())], 'no_stream');
    const histories: number[] = [];
    const outcome = await runStreamCommand(deps, {
      command: 'PostTweet',
      streamId,
      metadata,
      expectNewStream: true,
      decide: (history) => {
        histories.push(history.revision);
        return [{ type: 'TweetDeleted', data: { tweetId, authorId: uuidv7() } }];
      },
    });
    expect(histories).toEqual([-1, 0]);
    const stream = await store.readStream(streamId);
    expect(stream.map((e) => e.type)).toEqual(['TweetPosted', 'TweetDeleted']);
    expect(outcome.position).toBe(stream[1]!.position);
  });
});

