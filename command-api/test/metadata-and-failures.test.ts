import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { expectProblem, register, startSystem, uniqueHandle, type Api } from './support.ts';

let system: TestSystem;
let api: Api;

beforeAll(async () => {
  system = await startSystem();
  api = client(system.commandUrl);
});
afterAll(async () => system?.stop());

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('event metadata comes from the HTTP request', () => {
  it('X-Correlation-Id, traceparent, the actor and the request as cause are stored with the event', async () => {
    const alice = await register(api);
    const res = await api.post('/v1/tweets', {
      token: alice.token,
      body: { text: 'traced' },
      headers: { 'x-correlation-id': 'checkout-42', traceparent },
    });
    const [event] = await system.db.store.readStream(`tweet-${res.body.tweetId}`);
    expect(event?.metadata).toEqual({
      correlationId: 'checkout-42',
      causationId: expect.stringMatching(/^request:[0-9a-f-]{36}$/),
      actorUserId: alice.userId,
      traceparent,
    });
  });

  it('without headers the request id correlates, and a registration is acted by the new user', async () => {
    const handle = uniqueHandle('md');
    const res = await api.post('/v1/users', { body: { handle, password: 'correct horse', displayName: 'M' }, headers: { traceparent: 'garbage' } });
    const [event] = await system.db.store.readStream(`user-${res.body.userId}`);
    const metadata = event!.metadata;
    expect(metadata.actorUserId).toBe(res.body.userId);
    expect(metadata.causationId).toBe(`request:${metadata.correlationId}`);
    expect(metadata).not.toHaveProperty('traceparent'); // not a valid W3C trace context: dropped
  });

  it('each request is its own cause; a shared correlation id links them', async () => {
    const alice = await register(api);
    const headers = { 'x-correlation-id': 'session-7' };
    const one = await api.post('/v1/tweets', { token: alice.token, body: { text: 'one' }, headers });
    const two = await api.post('/v1/tweets', { token: alice.token, body: { text: 'two' }, headers });
    const [a] = await system.db.store.readStream(`tweet-${one.body.tweetId}`);
    const [b] = await system.db.store.readStream(`tweet-${two.body.tweetId}`);
    expect(a!.metadata.correlationId).toBe(b!.metadata.correlationId);
    expect(a!.metadata.causationId).not.toBe(b!.metadata.causationId);
  });
});

describe('conflicts', () => {
  it('answers 409 once a writer keeps winning every retry', async () => {
    const alice = await register(api);
    // The stream's recorded revision runs ahead of its events, as if another writer appended
    // between every read and append: every attempt's expectation is stale.
    await system.db.executor.query(`UPDATE chirp_streams SET revision = revision + 100 WHERE stream_id = $1`, [`user-${alice.userId}`]);
    const res = await api.patch('/v1/users/me', { token: alice.token, body: { bio: 'contended' } });
    expectProblem(res, 409);
    expect(res.body.code).toBe('ConcurrencyConflict');
  });
});

describe('a failure on our side', () => {
  it('is a 500 problem with a generic detail and no stack', async () => {
    const broken = await startSystem();
    try {
      const brokenApi = client(broken.commandUrl);
      const alice = await register(brokenApi);
      await broken.db.executor.close(); // the database is gone
      for (const res of [
        await brokenApi.post('/v1/tweets', { token: alice.token, body: { text: 'into the void' } }),
        await brokenApi.post('/v1/users', { body: { handle: uniqueHandle('v'), password: 'correct horse', displayName: 'V' } }),
      ]) {
        expectProblem(res, 500);
        expect(res.body.detail).toBe('something went wrong on our side; the request may be retried');
        expect(Object.keys(res.body).sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
      }
    } finally {
      await broken.stop().catch(() => {});
    }
  });
});
