import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { expectProblem, pointersOf, register, startSystem, uniqueHandle, type Api, type TestUser } from './support.ts';

let system: TestSystem;
let api: Api;
let alice: TestUser;

beforeAll(async () => {
  system = await startSystem();
  api = client(system.commandUrl);
  alice = await register(api);
});
afterAll(async () => system?.stop());

/** Text PostgreSQL's jsonb refuses; JSON carries each of them as an escape. */
const unstorable = { nul: 'a\u0000b', loneHigh: 'bird \ud83d', loneLow: '\udc26 bird' };

describe('text the store cannot hold is a 400 naming the field, not a 500', () => {
  for (const [name, text] of Object.entries(unstorable)) {
    it(`${name} in a tweet, a display name and a bio`, async () => {
      const tweet = await api.post('/v1/tweets', { token: alice.token, body: { text } });
      expectProblem(tweet, 400);
      expect(pointersOf(tweet)).toEqual(['#/text']);

      const registration = await api.post('/v1/users', { body: { handle: uniqueHandle('t'), password: 'correct horse', displayName: text } });
      expectProblem(registration, 400);
      expect(pointersOf(registration)).toEqual(['#/displayName']);

      const patch = await api.patch('/v1/users/me', { token: alice.token, body: { bio: text, displayName: text } });
      expectProblem(patch, 400);
      expect(pointersOf(patch)).toEqual(['#/bio', '#/displayName']);
    });
  }

  it('a handle with a NUL at login is a 400, not a 500', async () => {
    const res = await api.post('/v1/sessions', { body: { handle: 'ali\u0000ce', password: 'correct horse' } });
    expectProblem(res, 400);
    expect(pointersOf(res)).toEqual(['#/handle']);
  });

  it('emoji and other well-formed text still pass', async () => {
    expect((await api.post('/v1/tweets', { token: alice.token, body: { text: '🐦 ok — ünïcödé' } })).status).toBe(202);
  });
});

describe('request bodies the parser refuses are answered as problems', () => {
  it('a body that does not decompress is a 400', async () => {
    const res = await api.post('/v1/users', { rawBody: 'this is not gzip', headers: { 'content-encoding': 'gzip' } });
    expectProblem(res, 400);
  });
  it('an unknown Content-Encoding is a 415', async () => {
    const res = await api.post('/v1/users', { rawBody: '{}', headers: { 'content-encoding': 'rot13' } });
    expectProblem(res, 415);
  });
});

describe('field pointers and strict bodies', () => {
  it('URL parameters are pointed to under #/params', async () => {
    expect(pointersOf(await api.post('/v1/tweets/not-a-uuid/like', { token: alice.token }))).toEqual(['#/params/id']);
    expect(pointersOf(await api.delete('/v1/tweets/not-a-uuid', { token: alice.token }))).toEqual(['#/params/id']);
    expect(pointersOf(await api.put('/v1/users/me/following/nobody', { token: alice.token }))).toEqual(['#/params/userId']);
  });

  it('a registration with an unknown field is refused, like every other body', async () => {
    const res = await api.post('/v1/users', {
      body: { handle: uniqueHandle('s'), password: 'correct horse', displayName: 'S', isAdmin: true },
    });
    expectProblem(res, 400);
  });
});
