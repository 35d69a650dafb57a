import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import type { ChirpEvent } from '@chirp/domain';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { keyedCommandIds } from '../src/command-ids.ts';
import { runStreamCommand, type CommandDeps } from '../src/stream-command.ts';
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
      streamId,
      metadata,
      eventIds: eventIds(),
      decide: async () => {
        // The other run (its lease ran out while this one was slow) gets there first.
        other = await runStreamCommand(deps, { streamId, metadata, eventIds: eventIds(), decide: () => [posted] });
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
