import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { v7 as uuidv7 } from 'uuid';
import { register, startSystem, uniqueHandle, type Api } from './support.ts';

let system: TestSystem;
let api: Api;

beforeAll(async () => {
  system = await startSystem();
  api = client(system.commandUrl);
});
afterAll(async () => system?.stop());

async function existingUser(): Promise<{ userId: string }> {
  const userId = uuidv7();
  const data = { userId, handle: uniqueHandle('st'), displayName: 'Star', passwordHash: 'scrypt$not-used' };
  const metadata = { correlationId: userId, causationId: `test:${userId}`, actorUserId: userId };
  const event = { eventId: uuidv7(), type: 'UserRegistered', data, schemaVersion: 1, occurredAt: new Date().toISOString(), metadata };
  await system.db.store.append(`user-${userId}`, [event], 'no_stream');
  return { userId };
}

describe('follows', () => {
  it('one user following 40 accounts at once: every follow succeeds, none conflicts', async () => {
    const fan = await register(api);
    // The followees are written straight to the store: 40 registrations over HTTP would spend
    // most of this test hashing passwords.
    const stars = await Promise.all(Array.from({ length: 40 }, () => existingUser()));
    const results = await Promise.all(stars.map((star) => api.put(`/v1/users/me/following/${star.userId}`, { token: fan.token })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 202));

    const minPosition = Math.max(...results.map((r) => r.body.position as number));
    const query = client(system.queryUrl);
    const profile = await query.get(`/v1/users/${fan.handle}?minPosition=${minPosition}`);
    expect(profile.headers.get('chirp-stale')).toBeNull();
    expect(profile.body).toMatchObject({ followingCount: 40 });
  });

  it('lives in the pair stream follow-<follower>-<followee>, not in the follower stream', async () => {
    const alice = await register(api);
    const bob = await register(api);
    await api.put(`/v1/users/me/following/${bob.userId}`, { token: alice.token });
    await api.delete(`/v1/users/me/following/${bob.userId}`, { token: alice.token });
    const pair = await system.db.store.readStream(`follow-${alice.userId}-${bob.userId}`);
    expect(pair.map((e) => [e.type, e.data])).toEqual([
      ['Followed', { followerId: alice.userId, followeeId: bob.userId }],
      ['Unfollowed', { followerId: alice.userId, followeeId: bob.userId }],
    ]);
    expect((await system.db.store.readStream(`user-${alice.userId}`)).map((e) => e.type)).toEqual(['UserRegistered']);
  });

  it('unfollowing someone not followed appends nothing', async () => {
    const alice = await register(api);
    const bob = await register(api);
    const head = await system.db.store.headPosition();
    expect((await api.delete(`/v1/users/me/following/${bob.userId}`, { token: alice.token })).status).toBe(202);
    expect(await system.db.store.headPosition()).toBe(head);
  });
});
