import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { caughtUp } from '../../test-support/projections.ts';

/**
 * The whole write → log → projection → read path over real HTTP, as `npm start` runs it, on
 * both embedded PGlite and real PostgreSQL. Every read passes the last command's position, so
 * the answers are exact, not eventually right.
 */
describe.each(['pglite', 'postgres'] as const)('end to end on %s', (engine) => {
  let system: TestSystem;
  let commands: ReturnType<typeof client>;
  let queries: ReturnType<typeof client>;
  let last = 0;

  beforeAll(async () => {
    system = await startTestSystem(engine);
    commands = client(system.commandUrl);
    queries = client(system.queryUrl);
  });
  afterAll(async () => system?.stop());

  async function command(method: 'post' | 'put' | 'patch' | 'delete', path: string, token?: string, body?: unknown) {
    const res = await commands[method](path, { token, body });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    last = Math.max(last, res.body.position);
    return res.body;
  }
  const read = (path: string, token?: string) =>
    queries.get(path, { token, headers: { 'chirp-min-position': String(last) } }).then((res) => {
      expect(res.headers.get('chirp-stale')).toBeNull();
      return res;
    });

  async function user(handle: string) {
    const { userId } = await command('post', '/v1/users', undefined, { handle, password: 'pass-word-1', displayName: handle.toUpperCase() });
    const session = await commands.post('/v1/sessions', { body: { handle, password: 'pass-word-1' } });
    return { userId: userId as string, token: session.body.accessToken as string, handle };
  }

  it('registers, follows, tweets, retweets, likes, deletes, and every read model agrees', async () => {
    const ann = await user('ann');
    const ben = await user('ben');
    const cat = await user('cat');

    await command('put', `/v1/users/me/following/${ben.userId}`, ann.token);
    await command('put', `/v1/users/me/following/${cat.userId}`, ann.token);
    await command('patch', '/v1/users/me', ben.token, { bio: 'I tweet about #postgres' });

    const t1 = await command('post', '/v1/tweets', ben.token, { text: 'first from ben #postgres @ann' });
    const t2 = await command('post', '/v1/tweets', cat.token, { text: 'cat says hi' });
    const t3 = await command('post', '/v1/tweets', ann.token, { text: 'ann own tweet' });
    const stranger = await user('dan');
    const t4 = await command('post', '/v1/tweets', stranger.token, { text: 'dan is not followed by ann' });
    await command('post', `/v1/tweets/${t4.tweetId}/retweet`, cat.token); // cat retweets dan: ann sees it via cat
    await command('post', `/v1/tweets/${t1.tweetId}/like`, ann.token);
    await command('post', `/v1/tweets/${t1.tweetId}/like`, cat.token);
    await command('post', `/v1/tweets/${t1.tweetId}/retweet`, cat.token); // ben's tweet is already in ann's timeline: once only

    // Profiles with counts.
    const benProfile = await read('/v1/users/BEN');
    expect(benProfile.status).toBe(200);
    expect(benProfile.body).toMatchObject({ userId: ben.userId, handle: 'ben', displayName: 'BEN', bio: 'I tweet about #postgres', followersCount: 1, followingCount: 0, tweetsCount: 1 });
    expect(benProfile.body).not.toHaveProperty('passwordHash');
    expect((await read('/v1/users/ann')).body).toMatchObject({ followingCount: 2, followersCount: 0 });

    // A tweet with counts.
    const tweet = await read(`/v1/tweets/${t1.tweetId}`);
    expect(tweet.body).toMatchObject({ tweetId: t1.tweetId, authorId: ben.userId, authorHandle: 'ben', text: 'first from ben #postgres @ann', likeCount: 2, retweetCount: 1, hashtags: ['postgres'], mentions: ['ann'] });

    // Cat's own tweets and retweets, newest first.
    const catTweets = await read('/v1/users/cat/tweets');
    expect(catTweets.body.items.map((i: any) => [i.tweetId, i.retweetedBy?.handle ?? null])).toEqual([
      [t1.tweetId, 'cat'],
      [t4.tweetId, 'cat'],
      [t2.tweetId, null],
    ]);

    // Ann's home timeline: her own, her followees', and the retweet of a stranger; ben's tweet once.
    const timeline = await read('/v1/timeline', ann.token);
    expect(timeline.status).toBe(200);
    const entries = timeline.body.items.map((i: any) => [i.tweetId, i.retweetedBy?.handle ?? null]);
    expect(entries).toEqual([
      [t4.tweetId, 'cat'],
      [t3.tweetId, null],
      [t2.tweetId, null],
      [t1.tweetId, null],
    ]);
    expect(timeline.body.items[3]).toMatchObject({ authorHandle: 'ben', likeCount: 2, retweetCount: 1, createdAt: expect.any(String) });

    // Pagination with an opaque cursor walks the same list.
    const first = await read('/v1/timeline?limit=3', ann.token);
    expect(first.body.items).toHaveLength(3);
    const second = await read(`/v1/timeline?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`, ann.token);
    expect([...first.body.items, ...second.body.items].map((i: any) => i.tweetId)).toEqual(entries.map((e: any) => e[0]));
    expect(second.body.nextCursor).toBeNull();

    // Delete removes the tweet everywhere; unlike, undo retweet and unfollow take effect.
    await command('delete', `/v1/tweets/${t1.tweetId}`, ben.token);
    await command('delete', `/v1/tweets/${t4.tweetId}/retweet`, cat.token);
    await command('delete', `/v1/users/me/following/${cat.userId}`, ann.token);
    expect((await read(`/v1/tweets/${t1.tweetId}`)).status).toBe(404);
    expect((await read('/v1/users/ben')).body).toMatchObject({ tweetsCount: 0, followersCount: 1 });
    expect((await read('/v1/timeline', ann.token)).body.items.map((i: any) => i.tweetId)).toEqual([t3.tweetId]);
    expect((await read('/v1/users/cat/tweets')).body.items.map((i: any) => i.tweetId)).toEqual([t2.tweetId]);
  });

  it('validates queries and answers problems', async () => {
    expect((await queries.get('/v1/users/nobody_at_all')).status).toBe(404);
    expect((await queries.get('/v1/tweets/not-a-uuid')).status).toBe(400);
    expect((await queries.get('/v1/timeline')).status).toBe(401);
    const badCursor = await queries.get('/v1/users/ann/tweets?cursor=garbage');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].pointer).toBe('#/query/cursor');
    expect((await queries.get('/v1/users/ann/tweets?limit=101')).status).toBe(400);
    expect((await queries.get('/v1/users/ann?minPosition=-1')).status).toBe(400);
  });

  it('marks a read stale when the projections have not reached the position in time', async () => {
    const res = await queries.get(`/v1/users/ann?minPosition=${Number.MAX_SAFE_INTEGER}`, { headers: {} });
    // Waits up to the configured 5 s; answers with what it has.
    expect(res.status).toBe(200);
    expect(res.headers.get('chirp-stale')).toBe('true');
  }, 15_000);

  it('reports every projection with position, lag, rate and state; caught up, each is at the head, and a command moves it', async () => {
    const before = await caughtUp(queries);
    expect(before.items.map((p) => p.name).sort()).toEqual(['analytics', 'event-rates', 'home-timeline', 'profiles', 'search', 'trends', 'tweets', 'user-tweets']);
    for (const p of before.items) {
      expect(p).toMatchObject({ position: before.headPosition, lagEvents: 0, lagSeconds: 0, eventsPerSecond: expect.any(Number), state: 'running' });
    }
    const { position } = await command('post', '/v1/users', undefined, { handle: 'eve', password: 'pass-word-1', displayName: 'Eve' });
    expect(position).toBeGreaterThan(before.headPosition);
    const after = await caughtUp(queries);
    expect(after.headPosition).toBe(position);
    for (const p of after.items) expect(p.position).toBe(position);
  });

  it('answers /healthz on both APIs', async () => {
    expect((await commands.get('/healthz')).status).toBe(200);
    expect((await queries.get('/healthz')).status).toBe(200);
  });
});
