import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { RegisteredUsers } from '../src/registered-users.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;

beforeAll(async () => {
  database = await createTestDatabase('registered_users');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
});
afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const metadata = { correlationId: 'c', causationId: 'request:test', actorUserId: null };

async function registerUser(userId = uuidv7()): Promise<string> {
  const data = { userId, handle: `h${userId.slice(-12)}`, displayName: 'U', passwordHash: 'scrypt$x' };
  const event = { eventId: uuidv7(), type: 'UserRegistered', data, schemaVersion: 1, occurredAt: new Date().toISOString(), metadata };
  await store.append(`user-${userId}`, [event], 'no_stream');
  return userId;
}

/** RegisteredUsers over the real store, counting the user streams it reads. */
function counted(capacity?: number) {
  const reads: string[] = [];
  const countingStore: EventStore = { ...store, readStream: (id, options) => (reads.push(id), store.readStream(id, options)) };
  return { reads, users: new RegisteredUsers(countingStore, capacity) };
}

describe('RegisteredUsers', () => {
  it('reads a registered user once, then answers from memory', async () => {
    const userId = await registerUser();
    const { reads, users } = counted();
    expect(await users.exists(userId)).toBe(true);
    expect(await users.exists(userId)).toBe(true);
    expect(reads).toEqual([`user-${userId}`]);
  });

  it('never remembers a user that does not exist: once registered, they are found', async () => {
    const { reads, users } = counted();
    const missing = uuidv7();
    expect(await users.exists(missing)).toBe(false);
    expect(await users.exists(missing)).toBe(false);
    expect(reads).toHaveLength(2);
    await registerUser(missing);
    expect(await users.exists(missing)).toBe(true);
  });

  it('forgets the least recently asked-for user beyond its capacity', async () => {
    const [a, b, c] = [await registerUser(), await registerUser(), await registerUser()];
    const { reads, users } = counted(2);
    for (const id of [a, b, a, c]) await users.exists(id); // c evicts b, the least recently asked for
    expect(reads).toEqual([a, b, c].map((id) => `user-${id}`));
    reads.length = 0;
    await users.exists(a);
    await users.exists(b);
    expect(reads).toEqual([`user-${b}`]);
  });
});
