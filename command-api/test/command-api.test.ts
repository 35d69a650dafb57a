import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';

let system: TestSystem;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  system = await startTestSystem('postgres');
  api = client(system.commandUrl);
});
afterAll(async () => system?.stop());

let counter = 0;
async function register(handle = `user${Date.now() % 100000}_${counter++}`) {
  const created = await api.post('/v1/users', { body: { handle, password: 'correct horse', displayName: handle } });
  expect(created.status).toBe(201);
  const session = await api.post('/v1/sessions', { body: { handle, password: 'correct horse' } });
  expect(session.status).toBe(200);
  return { handle, userId: created.body.userId as string, token: session.body.accessToken as string };
}

/**
 * The store's head once the event at `position` is readable. Readers see an event only after
 * every older transaction has ended (docs/event-store.md), and the projectors running in this
 * system may hold one open for a moment, so right after a 202 the head may still lag.
 */
async function readableHead(position: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const head = await system.db.store.headPosition();
    if (head >= position || Date.now() > deadline) return head;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
}

describe('registration and sessions', () => {
  it('registers, answers 201 with the user id and a position, and logs in', async () => {
    const res = await api.post('/v1/users', { body: { handle: 'Alice_1', password: 'correct horse', displayName: 'Alice' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: expect.stringMatching(/^[0-9a-f-]{36}$/), handle: 'Alice_1', position: expect.any(Number) });
    expect(res.body.userId[14]).toBe('7'); // uuid v7
    const login = await api.post('/v1/sessions', { body: { handle: 'alice_1', password: 'correct horse' } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ accessToken: expect.any(String), userId: res.body.userId });
  });

  it('refuses a handle taken in another case with 409', async () => {
    await register('Bob_case');
    expectProblem(await api.post('/v1/users', { body: { handle: 'BOB_CASE', password: 'correct horse', displayName: 'B' } }), 409);
  });

  it('lets exactly one of many racing registrations of a handle win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.post('/v1/users', { body: { handle: 'racer', password: 'correct horse', displayName: 'R' } })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it('answers 400 with per-field errors', async () => {
    const res = await api.post('/v1/users', { body: { handle: 'a!', password: 'short' } });
    expectProblem(res, 400);
    const pointers = [...new Set(res.body.errors.map((e: { pointer: string }) => e.pointer))].sort();
    expect(pointers).toEqual(['#/displayName', '#/handle', '#/password']);
  });

  it('answers 400 for malformed JSON and 413 for a large body', async () => {
    expectProblem(await api.post('/v1/users', { rawBody: '{"handle":' }), 400);
    expectProblem(await api.post('/v1/tweets', { rawBody: JSON.stringify({ text: 'x'.repeat(10_000) }) }), 413);
  });

  it('answers 401 for a wrong password, an unknown handle and a bad token', async () => {
    const { handle } = await register();
    expectProblem(await api.post('/v1/sessions', { body: { handle, password: 'wrong password' } }), 401);
    expectProblem(await api.post('/v1/sessions', { body: { handle: 'nobody_here', password: 'whatever1' } }), 401);
    expectProblem(await api.post('/v1/tweets', { body: { text: 'hi' } }), 401);
    expectProblem(await api.post('/v1/tweets', { body: { text: 'hi' }, token: 'not.a.jwt' }), 401);
  });

  it('answers 404 problem JSON for unknown routes', async () => {
    expectProblem(await api.get('/v1/nothing'), 404);
  });
});

describe('commands', () => {
  it('posts, refuses a too long tweet and a reply to nothing', async () => {
    const alice = await register();
    const posted = await api.post('/v1/tweets', { token: alice.token, body: { text: 'hello #chirp' } });
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ tweetId: expect.any(String), position: expect.any(Number) });
    expectProblem(await api.post('/v1/tweets', { token: alice.token, body: { text: 'x'.repeat(281) } }), 400);
    expectProblem(
      await api.post('/v1/tweets', { token: alice.token, body: { text: 'reply', replyToTweetId: '0190a6c0-0000-7000-8000-000000000000' } }),
      404,
    );
    const reply = await api.post('/v1/tweets', { token: alice.token, body: { text: 'reply', replyToTweetId: posted.body.tweetId } });
    expect(reply.status).toBe(202);
  });

  it('only the author deletes; a deleted tweet cannot be liked or retweeted', async () => {
    const alice = await register();
    const bob = await register();
    const { body } = await api.post('/v1/tweets', { token: alice.token, body: { text: 'mine' } });
    expectProblem(await api.delete(`/v1/tweets/${body.tweetId}`, { token: bob.token }), 403);
    expect((await api.post(`/v1/tweets/${body.tweetId}/like`, { token: bob.token })).status).toBe(202);
    expect((await api.delete(`/v1/tweets/${body.tweetId}`, { token: alice.token })).status).toBe(202);
    expectProblem(await api.post(`/v1/tweets/${body.tweetId}/like`, { token: bob.token }), 409);
    expectProblem(await api.post(`/v1/tweets/${body.tweetId}/retweet`, { token: bob.token }), 409);
    expectProblem(await api.delete(`/v1/tweets/${body.tweetId}`, { token: alice.token }), 404);
    expectProblem(await api.post(`/v1/tweets/not-a-uuid/like`, { token: bob.token }), 400);
  });

  it('a repeated like, retweet or follow appends nothing and answers the same position', async () => {
    const alice = await register();
    const bob = await register();
    const { body } = await api.post('/v1/tweets', { token: alice.token, body: { text: 'like me' } });
    for (const path of [`/v1/tweets/${body.tweetId}/like`, `/v1/tweets/${body.tweetId}/retweet`]) {
      const first = await api.post(path, { token: bob.token });
      const head = await readableHead(first.body.position);
      const second = await api.post(path, { token: bob.token });
      expect(second.status).toBe(202);
      expect(second.body.position).toBe(first.body.position);
      expect(await system.db.store.headPosition()).toBe(head);
    }
    const follow = await api.put(`/v1/users/me/following/${alice.userId}`, { token: bob.token });
    const again = await api.put(`/v1/users/me/following/${alice.userId}`, { token: bob.token });
    expect(again.body.position).toBe(follow.body.position);
  });

  it('refuses following yourself or nobody', async () => {
    const alice = await register();
    expectProblem(await api.put(`/v1/users/me/following/${alice.userId}`, { token: alice.token }), 400);
    expectProblem(await api.put(`/v1/users/me/following/0190a6c0-0000-7000-8000-000000000000`, { token: alice.token }), 404);
  });

  it('updates the profile and validates the patch', async () => {
    const alice = await register();
    expect((await api.patch('/v1/users/me', { token: alice.token, body: { bio: 'hello' } })).status).toBe(202);
    expectProblem(await api.patch('/v1/users/me', { token: alice.token, body: {} }), 400);
    expectProblem(await api.patch('/v1/users/me', { token: alice.token, body: { bio: 'x'.repeat(161) } }), 400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer and appends nothing for a retry', async () => {
    const alice = await register();
    const headers = { 'idempotency-key': 'post-1' };
    const first = await api.post('/v1/tweets', { token: alice.token, body: { text: 'once' }, headers });
    const head = await system.db.store.headPosition();
    const retry = await api.post('/v1/tweets', { token: alice.token, body: { text: 'once' }, headers });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await system.db.store.headPosition()).toBe(head);
  });

  it('refuses a key reused for a different request with 422, and scopes keys per user', async () => {
    const alice = await register();
    const bob = await register();
    const headers = { 'idempotency-key': 'shared-key' };
    expect((await api.post('/v1/tweets', { token: alice.token, body: { text: 'a' }, headers })).status).toBe(202);
    expectProblem(await api.post('/v1/tweets', { token: alice.token, body: { text: 'b' }, headers }), 422);
    const bobs = await api.post('/v1/tweets', { token: bob.token, body: { text: 'b' }, headers });
    expect(bobs.status).toBe(202);
    expect(bobs.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('health', () => {
  it('answers /healthz', async () => {
    expect((await api.get('/healthz')).body).toEqual({ status: 'ok' });
  });
});
