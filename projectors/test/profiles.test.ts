import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profilesProjection } from '../src/read-models/profiles/projection.ts';
import { getProfileByHandle, getProfilesByIds } from '../src/read-models/profiles/reader.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

describe.each(engines)('profiles read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'profiles');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const alice = uuid();
  const bob = uuid();
  const carol = uuid();
  const t1 = uuid();
  const t2 = uuid();
  const t3 = uuid();

  function script(): History {
    const h = new History();
    h.register(alice, 'Alice_A');
    h.register(bob, 'bob');
    h.register(carol, 'carol', 'Carol');
    h.updateProfile(alice, { displayName: 'Alice', bio: 'hi' });
    h.updateProfile(alice, { bio: 'hello there' });
    h.follow(bob, alice);
    h.follow(carol, alice);
    h.follow(alice, bob);
    h.unfollow(carol, alice);
    h.follow(carol, alice);
    h.unfollow(bob, alice);
    h.post(alice, t1);
    h.post(alice, t2);
    h.post(bob, t3);
    h.deleteTweet(alice, t2);
    h.like(t1, alice, bob);
    h.retweet(t1, alice, carol);
    return h;
  }

  async function expectScriptedState(): Promise<void> {
    const a = await getProfileByHandle(backend.executor, 'alice_a');
    expect(a).toEqual({
      userId: alice,
      handle: 'Alice_A',
      displayName: 'Alice',
      bio: 'hello there',
      createdAt: '2025-01-01T00:00:01.000Z',
      followersCount: 1,
      followingCount: 1,
      tweetsCount: 1,
    });
    const byId = await getProfilesByIds(backend.executor, [bob, carol, uuid()]);
    expect([...byId.keys()].sort()).toEqual([bob, carol].sort());
    expect(byId.get(bob)).toMatchObject({ handle: 'bob', followersCount: 1, followingCount: 0, tweetsCount: 1, bio: '' });
    expect(byId.get(carol)).toMatchObject({ displayName: 'Carol', followersCount: 0, followingCount: 1, tweetsCount: 0 });
  }

  it('folds a scripted history into profiles with counts and case-insensitive handles', async () => {
    await resetProjection(backend.executor, profilesProjection);
    await applyEvents(backend.executor, profilesProjection, script().events);
    await expectScriptedState();
    expect(await getProfileByHandle(backend.executor, 'ALICE_a')).not.toBeNull();
    expect(await getProfileByHandle(backend.executor, 'nobody')).toBeNull();
    expect(await getProfilesByIds(backend.executor, [])).toEqual(new Map());
  });

  it('never stores the password hash', async () => {
    await resetProjection(backend.executor, profilesProjection);
    await applyEvents(backend.executor, profilesProjection, script().events);
    const { rows } = await backend.executor.query(`SELECT * FROM rm_profiles_users`);
    expect(JSON.stringify(rows)).not.toContain('scrypt$');
  });

  it('gives the same state when every event is delivered twice, and when stale events are redelivered', async () => {
    await resetProjection(backend.executor, profilesProjection);
    const h = script();
    for (const e of h.events) await applyEvents(backend.executor, profilesProjection, [e, e]);
    await applyEvents(backend.executor, profilesProjection, h.events);
    // A stale Followed (bob → alice, since undone) and a stale profile update arrive again.
    const staleFollow = h.events.find((e) => e.type === 'Followed' && e.streamId === `user-${bob}`)!;
    const staleUpdate = h.events.find((e) => e.type === 'ProfileUpdated')!;
    await applyEvents(backend.executor, profilesProjection, [staleFollow, staleUpdate]);
    await expectScriptedState();
  });

  it('gives the same state when streams interleave differently (follows and tweets before registrations)', async () => {
    const h = script();
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 5; round++) {
      await resetProjection(backend.executor, profilesProjection);
      await applyEvents(backend.executor, profilesProjection, interleaveByStream(h.events, random));
      await expectScriptedState();
    }
    // Worst case: every registration last.
    await resetProjection(backend.executor, profilesProjection);
    const registrations = h.events.filter((e) => e.type === 'UserRegistered' || e.type === 'ProfileUpdated');
    const rest = h.events.filter((e) => !registrations.includes(e));
    await applyEvents(backend.executor, profilesProjection, [...rest, ...registrations]);
    await expectScriptedState();
  });

  it('counts a tweet deleted before it was seen posted as never live', async () => {
    await resetProjection(backend.executor, profilesProjection);
    const h = new History();
    const dave = uuid();
    const t = uuid();
    h.register(dave, 'dave');
    const posted = h.post(dave, t);
    const deleted = h.deleteTweet(dave, t);
    await applyEvents(backend.executor, profilesProjection, [h.events[0]!, deleted, posted, deleted, posted]);
    expect((await getProfileByHandle(backend.executor, 'dave'))?.tweetsCount).toBe(0);
  });
});
