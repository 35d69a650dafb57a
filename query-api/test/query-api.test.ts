import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectionStatus } from '@chirp/projectors/status/reader';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { REDACTED_ERROR, redactStatus } from '../src/projection-status.ts';

/** The query API over real HTTP on embedded PGlite: input validation, read-your-writes under load, projection status. */
describe('query API', () => {
  let system: TestSystem;
  let commands: ReturnType<typeof client>;
  let queries: ReturnType<typeof client>;
  let checkpointReads = 0;

  beforeAll(async () => {
    // Records are remembered for a minute, so that only the read-your-writes rule can explain a fresh one.
    system = await startTestSystem('pglite', { CHIRP_OPERATOR_HANDLES: 'ops', CHIRP_CONSISTENCY_WAIT_MS: '600', CHIRP_RECORD_CACHE_MS: '60000' }, {
      observeQuerySql: (text) => {
        if (text.includes('FROM projection_checkpoints')) checkpointReads++;
      },
    });
    commands = client(system.commandUrl);
    queries = client(system.queryUrl);
  });
  afterAll(async () => system?.stop());

  async function login(handle: string) {
    const registered = await commands.post('/v1/users', { body: { handle, password: 'pass-word-1', displayName: handle } });
    const session = await commands.post('/v1/sessions', { body: { handle, password: 'pass-word-1' } });
    return { token: session.body.accessToken as string, position: registered.body.position as number };
  }

  describe('minPosition', () => {
    it.each(['', '-1', '1.5', '0x10', '1e3', ' 7', '+7', '99999999999999999999'])('?minPosition=%j is a 400 pointing at the query parameter', async (value) => {
      const res = await queries.get(`/v1/users/nobody?minPosition=${encodeURIComponent(value)}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['#/query/minPosition']);
    });

    it('given twice in the query is a 400', async () => {
      const res = await queries.get('/v1/users/nobody?minPosition=1&minPosition=2');
      expect(res.status).toBe(400);
      expect(res.body.errors[0].pointer).toBe('#/query/minPosition');
    });

    it.each(['', 'abc', '1e3', '0x10', '-1'])('Chirp-Min-Position: %j is a 400 pointing at the header', async (value) => {
      const res = await queries.get('/v1/users/nobody', { headers: { 'chirp-min-position': value } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['#/headers/chirp-min-position']);
    });

    it('digits are accepted, in the query or the header', async () => {
      const { position } = await login('reader');
      for (const res of [
        await queries.get(`/v1/users/reader?minPosition=${position}`),
        await queries.get('/v1/users/reader', { headers: { 'chirp-min-position': String(position) } }),
        await queries.get('/v1/users/reader?minPosition=0'),
      ]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('chirp-stale')).toBeNull();
      }
    });

    it('many reads waiting at once share one checkpoint poller, and writes still get through', async () => {
      const before = checkpointReads;
      const started = Date.now();
      const waiting = Array.from({ length: 50 }, () => queries.get(`/v1/tweets/${randomUUID()}?minPosition=999999999`));
      // While fifty reads wait (0.6 s), a user registers and reads their own write.
      const { position } = await login('busy_bee');
      const own = await queries.get(`/v1/users/busy_bee?minPosition=${position}`);
      expect(own.status).toBe(200);
      expect(own.headers.get('chirp-stale')).toBeNull();
      const answers = await Promise.all(waiting);
      for (const res of answers) expect(res.headers.get('chirp-stale')).toBe('true');
      // One poller: a read per 15 ms at most, however many wait; a poller per request made ~50 times as many.
      expect(checkpointReads - before).toBeLessThanOrEqual((Date.now() - started) / 15 + 10);
    });
  });

  describe('hydration from remembered records', () => {
    it('a read that asks for a position never gets a record older than it, though the record was remembered before', async () => {
      const author = await login('hydra_author');
      const fan = await login('hydra_fan');
      const posted = await commands.post('/v1/tweets', { token: author.token, body: { text: 'count me' } });
      const tweetId = posted.body.tweetId as string;
      const follow = await commands.put(`/v1/users/me/following/${(await queries.get(`/v1/users/hydra_author?minPosition=${posted.body.position}`)).body.userId}`, { token: fan.token });
      const first = await queries.get(`/v1/timeline?limit=5&minPosition=${Math.max(posted.body.position, follow.body.position)}`, { token: fan.token });
      expect(first.body.items.map((t: any) => [t.tweetId, t.likeCount])).toEqual([[tweetId, 0]]);
      expect((await queries.get(`/v1/tweets/${tweetId}`)).body.likeCount).toBe(0); // remembered now

      const liked = await commands.post(`/v1/tweets/${tweetId}/like`, { token: fan.token });
      const afterLike = await queries.get(`/v1/tweets/${tweetId}?minPosition=${liked.body.position}`);
      expect(afterLike.headers.get('chirp-stale')).toBeNull();
      expect(afterLike.body.likeCount).toBe(1);
      const timeline = await queries.get(`/v1/timeline?limit=5&minPosition=${liked.body.position}`, { token: fan.token });
      expect(timeline.body.items.map((t: any) => [t.tweetId, t.likeCount])).toEqual([[tweetId, 1]]);
    });
  });

  describe('handles', () => {
    it.each(['%00abc', 'ab', 'a'.repeat(21), 'has%20space', 'caf%C3%A9', 'semi;colon'])('/v1/users/%s (not a possible handle) is a 404', async (handle) => {
      for (const path of [`/v1/users/${handle}`, `/v1/users/${handle}/tweets`]) {
        const res = await queries.get(path);
        expect(res.status, path).toBe(404);
        expect(res.body.detail).toBe('no such user');
      }
    });

    it('a possible handle nobody has is a 404 naming it', async () => {
      const res = await queries.get('/v1/users/nobody_here');
      expect(res.status).toBe(404);
      expect(res.body.detail).toBe('no user @nobody_here');
    });
  });

  describe('search', () => {
    it('finds tweets by words, #tags and @handles, hydrated with fresh counts; deleted ones never; pages by cursor', async () => {
      const author = await login('searcher');
      const liker = await login('search_fan');
      const post = async (text: string) => (await commands.post('/v1/tweets', { token: author.token, body: { text } })).body as { tweetId: string; position: number };
      const rust = await post('Learning #rust with @search_fan today');
      const zurich = await post('Kaffee in Zürich ☕');
      const gone = await post('rust that will be deleted');
      const liked = await commands.post(`/v1/tweets/${rust.tweetId}/like`, { token: liker.token });
      const deleted = await commands.delete(`/v1/tweets/${gone.tweetId}`, { token: author.token });
      const at = Math.max(liked.body.position, deleted.body.position);
      const search = (q: string, extra = '') => queries.get(`/v1/search?q=${encodeURIComponent(q)}&minPosition=${at}${extra}`);

      const words = await search('rust');
      expect(words.status).toBe(200);
      expect(words.body.items.map((i: any) => i.tweetId)).toEqual([rust.tweetId]);
      expect(words.body.items[0]).toMatchObject({ authorHandle: 'searcher', likeCount: 1, hashtags: ['rust'], mentions: ['search_fan'] });
      expect((await search('#rust')).body.items.map((i: any) => i.tweetId)).toEqual([rust.tweetId]);
      expect((await search('@search_fan')).body.items.map((i: any) => i.tweetId)).toEqual([rust.tweetId]);
      expect((await search('zürich')).body.items.map((i: any) => i.tweetId)).toEqual([zurich.tweetId]);
      expect((await search('rust -#rust')).body.items).toEqual([]);

      const first = await search('rust or zürich', '&limit=1');
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await search('rust or zürich', `&limit=1&cursor=${first.body.nextCursor}`);
      expect([...first.body.items, ...second.body.items].map((i: any) => i.tweetId).sort()).toEqual([rust.tweetId, zurich.tweetId].sort());
    });

    it.each([
      ['', '#/query/q'],
      ['   ', '#/query/q'],
      ['-#spam', '#/query/q'],
      ['x'.repeat(300), '#/query/q'],
    ])('q=%j is a 400 pointing at q', async (q, pointer) => {
      const res = await queries.get(`/v1/search?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toEqual([pointer]);
    });

    it('a cursor it did not issue is a 400; a missing q too', async () => {
      expect((await queries.get('/v1/search?q=rust&cursor=abc')).status).toBe(400);
      const res = await queries.get('/v1/search');
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['#/query/q']);
    });

    it('finds users by handle prefix, display name and near misses', async () => {
      const { position } = await login('zebra_keeper');
      const users = async (q: string) =>
        ((await queries.get(`/v1/search/users?q=${encodeURIComponent(q)}&minPosition=${position}`)).body.items as { handle: string }[]).map((u) => u.handle);
      expect(await users('@zebra')).toEqual(['zebra_keeper']);
      expect(await users('zebra_keepr')).toEqual(['zebra_keeper']);
      expect(await users('nobody_like_this')).toEqual([]);
    });
  });

  describe('trends', () => {
    it('a tag five authors just used trends; an operator hides it and shows it again; others may not', async () => {
      let at = 0;
      for (let i = 0; i < 5; i++) {
        const { token } = await login(`trender_${i}`);
        at = (await commands.post('/v1/tweets', { token, body: { text: `Watching the #Launch now ${i}` } })).body.position;
      }
      const trends = async (position: number) => (await queries.get(`/v1/trends?window=1h&minPosition=${position}`)).body;
      const live = await trends(at);
      expect(live.window).toBe('1h');
      expect(live.items).toContainEqual({ tag: 'launch', tweets: 5, authors: 5, baseline: 0, score: 5 });

      const someone = await login('not_an_operator');
      expect((await commands.put('/v1/admin/trends/hidden/launch', { token: someone.token })).status).toBe(403);
      const ops = await login('ops');
      const hidden = await commands.put('/v1/admin/trends/hidden/%23Launch', { token: ops.token });
      expect(hidden.status).toBe(202);
      expect(hidden.body.tag).toBe('launch');
      expect((await trends(hidden.body.position)).items.map((t: any) => t.tag)).not.toContain('launch');
      const shown = await commands.delete('/v1/admin/trends/hidden/launch', { token: ops.token });
      expect((await trends(shown.body.position)).items.map((t: any) => t.tag)).toContain('launch');
      expect((await commands.put('/v1/admin/trends/hidden/not%20a%20tag', { token: ops.token })).status).toBe(400);
    });

    it('?window= other than 1h or 24h is a 400', async () => {
      const res = await queries.get('/v1/trends?window=7d');
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toEqual(['#/query/window']);
    });
  });

  describe('analytics', () => {
    it('overview and a user\'s growth over a range, after the commands that made them', async () => {
      const star = await login('analytics_star');
      const fan = await login('analytics_fan');
      const { body: tweet } = await commands.post('/v1/tweets', { token: star.token, body: { text: 'count me' } });
      const starId = (await queries.get(`/v1/users/analytics_star?minPosition=${tweet.position}`)).body.userId;
      await commands.put(`/v1/users/me/following/${starId}`, { token: fan.token });
      const liked = await commands.post(`/v1/tweets/${tweet.tweetId}/like`, { token: fan.token });
      const overview = await queries.get(`/v1/analytics/overview?minPosition=${liked.body.position}`);
      expect(overview.status).toBe(200);
      expect(overview.body.totals).toMatchObject({ posts: expect.any(Number), likes: expect.any(Number) });
      expect(overview.body.totals.likes).toBeGreaterThanOrEqual(1);
      expect(overview.body.topTweets).toContainEqual({ tweetId: tweet.tweetId, authorId: starId, likes: 1, retweets: 0, engagement: 1 });
      const growth = await queries.get(`/v1/analytics/users/analytics_star?minPosition=${liked.body.position}`);
      expect(growth.body.followers).toEqual([expect.objectContaining({ gained: 1, lost: 0, followers: 1 })]);
      expect(growth.body.daily).toEqual([expect.objectContaining({ posts: 1, likes: 1 })]);
      expect((await queries.get('/v1/analytics/users/nobody_here')).status).toBe(404);
    });

    it.each([
      ['?from=2026-02-01&to=2026-01-01', '#/query/from'],
      ['?from=2020-01-01&to=2026-01-01', '#/query/from'],
      ['?from=yesterday', '#/query/from'],
    ])('%s is a 400', async (query, pointer) => {
      const res = await queries.get(`/v1/analytics/overview${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.pointer)).toContain(pointer);
    });
  });

  describe('replaying a projection over HTTP', () => {
    it('operators start a replay (202), see it in /v1/projections, and the read model keeps answering', async () => {
      const author = await login('replay_author');
      const { body: tweet } = await commands.post('/v1/tweets', { token: author.token, body: { text: 'still here after a #replay' } });
      const someone = await login('replay_nobody');
      expect((await commands.post('/v1/admin/projections/search/replay', { token: someone.token })).status).toBe(403);
      const ops = await login('ops');
      expect((await commands.post('/v1/admin/projections/no-such/replay', { token: ops.token })).status).toBe(404);
      const started = await commands.post('/v1/admin/projections/search/replay', { token: ops.token });
      expect(started.status).toBe(202);
      expect(started.body).toEqual({ projection: 'search', status: '/v1/projections' });
      // Until and after the switch, the search answers (never empty because of the replay).
      let done = false;
      for (let i = 0; i < 200 && !done; i++) {
        const found = await queries.get(`/v1/search?q=%23replay&minPosition=${tweet.position}`);
        expect(found.body.items.map((t: any) => t.tweetId)).toContain(tweet.tweetId);
        const status = (await queries.get('/v1/projections')).body.items.find((p: any) => p.name === 'search');
        done = status.replay === null && status.position >= tweet.position;
        if (!done) await new Promise((r) => setTimeout(r, 25));
      }
      expect(done).toBe(true);
    });
  });

  describe('/v1/projections', () => {
    const secretError = 'relation "secret_internal_table" does not exist (SQLSTATE 42P01)';

    beforeAll(async () => {
      // A projection that has stalled, as the runtime records one (its status row, with the driver's message).
      await system.db.executor.query(
        `INSERT INTO projection_checkpoints (name, version, position, state, last_error, error_position, error_at)
         VALUES ('stalled-example', 1, 0, 'stalled', $1, 1, now())`,
        [secretError],
      );
    });

    const stalled = (body: any): ProjectionStatus => body.items.find((p: ProjectionStatus) => p.name === 'stalled-example');

    it('tells anyone that and where a projection fails, but not the error text', async () => {
      const { token } = await login('someone');
      for (const res of [await queries.get('/v1/projections'), await queries.get('/v1/projections', { token })]) {
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain('secret_internal_table');
        expect(stalled(res.body)).toMatchObject({ state: 'stalled', position: 0, lastError: REDACTED_ERROR, errorPosition: 1, errorAt: expect.any(String), lagEvents: expect.any(Number) });
        expect(res.body.items.find((p: ProjectionStatus) => p.name === 'profiles').lastError).toBeNull();
      }
    });

    it('gives an operator the full error', async () => {
      const { token } = await login('ops');
      const res = await queries.get('/v1/projections', { token });
      expect(res.status).toBe(200);
      expect(stalled(res.body).lastError).toBe(secretError);
    });

    it('refuses a token it cannot verify rather than quietly answering the anonymous view', async () => {
      const res = await queries.get('/v1/projections', { token: 'not.a.token' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    });
  });
});

describe('redactStatus', () => {
  // As the status reader returns it (built by hand: fields the reader may add pass through untouched).
  const status = {
    name: 'p',
    version: 1,
    position: 5,
    lagEvents: 2,
    lagSeconds: 1.5,
    eventsPerSecond: 0,
    appliedTotal: 5,
    state: 'stalled',
    lastError: 'duplicate key value violates unique constraint "users_pkey"',
    errorPosition: 6,
    errorAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  } as ProjectionStatus;

  it('replaces only the error text', () => {
    expect(redactStatus(status)).toEqual({ ...status, lastError: REDACTED_ERROR });
  });

  it('leaves a healthy projection without an error', () => {
    expect(redactStatus({ ...status, state: 'running', lastError: null, errorPosition: null, errorAt: null }).lastError).toBeNull();
  });
});
