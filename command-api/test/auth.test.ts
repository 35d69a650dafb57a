import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { createTokenService } from '@chirp/http-kit';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { expectProblem, register, startSystem, TEST_JWT_SECRET, type Api } from './support.ts';

let system: TestSystem;
let api: Api;

beforeAll(async () => {
  system = await startSystem();
  api = client(system.commandUrl);
});
afterAll(async () => system?.stop());

const plainChallenge = 'Bearer realm="chirp"';
const invalidTokenChallenge = 'Bearer realm="chirp", error="invalid_token"';

describe('bearer challenges (RFC 6750)', () => {
  it('a request without a token gets a plain challenge', async () => {
    const res = await api.post('/v1/tweets', { body: { text: 'hi' } });
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toBe(plainChallenge);
  });

  it('a bad token gets error="invalid_token"', async () => {
    const res = await api.post('/v1/tweets', { body: { text: 'hi' }, token: 'not.a.jwt' });
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toBe(invalidTokenChallenge);
  });

  it('an expired token gets error="invalid_token" and says it expired', async () => {
    const alice = await register(api);
    const expired = await createTokenService(TEST_JWT_SECRET, 0).issue({ userId: alice.userId, handle: alice.handle, roles: [] });
    const res = await api.post('/v1/tweets', { body: { text: 'hi' }, token: expired });
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toBe(invalidTokenChallenge);
    expect(res.body.detail).toMatch(/expired/);
  });

  it('a successful request carries no challenge', async () => {
    const alice = await register(api);
    const res = await api.post('/v1/tweets', { body: { text: 'hi' }, token: alice.token });
    expect(res.status).toBe(202);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });
});

describe('a valid token for a user who does not exist', () => {
  it('cannot post, like, follow or edit a profile: 401, and nothing is appended', async () => {
    const alice = await register(api);
    const { body: tweet } = await api.post('/v1/tweets', { token: alice.token, body: { text: 'like me' } });
    // As after a database reset: the token is well signed, its user is gone.
    const ghost = await createTokenService(TEST_JWT_SECRET, 3600).issue({ userId: uuidv7(), handle: 'ghost', roles: [] });
    const head = await system.db.store.headPosition();
    for (const res of [
      await api.post('/v1/tweets', { token: ghost, body: { text: 'boo' } }),
      await api.post(`/v1/tweets/${tweet.tweetId}/like`, { token: ghost }),
      await api.put(`/v1/users/me/following/${alice.userId}`, { token: ghost }),
      await api.patch('/v1/users/me', { token: ghost, body: { bio: 'boo' } }),
    ]) {
      expectProblem(res, 401);
      expect(res.headers.get('www-authenticate')).toBe(invalidTokenChallenge);
    }
    expect(await system.db.store.headPosition()).toBe(head);
  });
});
