import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '@chirp/http-kit';
import { createSqlIdempotencyStore } from '../src/index.ts';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client, type JsonResponse } from '../../test-support/http-client.ts';
import { expectProblem, register, startSystem, TEST_JWT_SECRET, uniqueHandle, waitFor, type Api } from './support.ts';

let system: TestSystem;
let api: Api;

beforeAll(async () => {
  system = await startSystem();
  api = client(system.commandUrl);
});
afterAll(async () => system?.stop());

const sql = <Row = Record<string, unknown>>(text: string, params: unknown[] = []) => system.db.executor.query<Row>(text, params).then((r) => r.rows);
const keyRow = async (key: string) =>
  (await sql<{ scope: string; state: string; fingerprint: string }>(`SELECT scope, state, fingerprint FROM command_idempotency WHERE key = $1`, [key]))[0];

/** What a process that died after its command appended, but before it recorded the answer, leaves behind. */
const simulateCrashAfterAppend = (key: string) =>
  sql(
    `UPDATE command_idempotency SET state = 'pending', status = NULL, body = NULL, headers = NULL, lease_until = now() - interval '1 second'
      WHERE key = $1`,
    [key],
  );

/** Holds the row lock of a stream's revision, so an append to it waits until released. */
async function holdStreamLock(streamId: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const tx = system.db.executor.transaction(async (q) => {
    await q.query(`SELECT revision FROM chirp_streams WHERE stream_id = $1 FOR UPDATE`, [streamId]);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await tx;
  };
}

const appendsWaitingForALock = async () =>
  Number(
    (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0]!.n,
  ) > 0;

/** Retries while the key's first run is still going (409 IdempotencyKeyInProgress), as a client would. */
async function retryUntilSettled(send: () => Promise<JsonResponse>): Promise<JsonResponse> {
  for (;;) {
    const res = await send();
    if (res.status !== 409 || res.body?.code !== 'IdempotencyKeyInProgress') return res;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Idempotency-Key: a client that disconnects', () => {
  it('gets the first answer when it retries a registration it aborted after a few milliseconds', async () => {
    const key = `register-abort-${uniqueHandle()}`;
    const body = { handle: uniqueHandle('ab'), password: 'correct horse', displayName: 'Aborter' };
    const headers = { 'content-type': 'application/json', 'idempotency-key': key };
    const controller = new AbortController();
    const first = fetch(`${system.commandUrl}/v1/users`, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal }).catch(
      () => undefined,
    );
    await waitFor(async () => (await keyRow(key)) !== undefined, 'the first run to start');
    controller.abort();
    await first;
    const retry = await retryUntilSettled(() => api.post('/v1/users', { body, headers: { 'idempotency-key': key } }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ handle: body.handle, userId: expect.any(String) });
  });

  it('answers 409 to a retry while the first run is still running, and the first answer after it finished', async () => {
    const alice = await register(api);
    const { body: posted } = await api.post('/v1/tweets', { token: alice.token, body: { text: 'soon gone' } });
    const key = `delete-${posted.tweetId}`;
    const release = await holdStreamLock(`tweet-${posted.tweetId}`);
    const controller = new AbortController();
    const first = fetch(`${system.commandUrl}/v1/tweets/${posted.tweetId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.token}`, 'idempotency-key': key },
      signal: controller.signal,
    }).catch(() => undefined);
    await waitFor(appendsWaitingForALock, 'the first run to wait for the stream lock');

    const concurrent = await api.delete(`/v1/tweets/${posted.tweetId}`, { token: alice.token, headers: { 'idempotency-key': key } });
    expectProblem(concurrent, 409);
    expect(concurrent.body.code).toBe('IdempotencyKeyInProgress');

    controller.abort(); // the client gives up; the command goes on
    await first;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await release();
    const retry = await retryUntilSettled(() => api.delete(`/v1/tweets/${posted.tweetId}`, { token: alice.token, headers: { 'idempotency-key': key } }));
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const deletions = (await system.db.store.readStream(`tweet-${posted.tweetId}`)).filter((e) => e.type === 'TweetDeleted');
    expect(deletions).toHaveLength(1);
    expect(retry.body).toEqual({ position: deletions[0]!.position });
  });
});

describe('Idempotency-Key: a run that died after appending', () => {
  it('a retried registration converges on the first run: same user, same position, nothing appended', async () => {
    const key = `register-crash-${uniqueHandle()}`;
    const body = { handle: uniqueHandle('cr'), password: 'correct horse', displayName: 'Crash' };
    const first = await api.post('/v1/users', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    await simulateCrashAfterAppend(key);
    const head = await system.db.store.headPosition();

    const rerun = await api.post('/v1/users', { body, headers: { 'idempotency-key': key } });
    expect(rerun.status).toBe(201);
    expect(rerun.headers.get('idempotent-replayed')).toBeNull(); // really run again, not replayed
    expect(rerun.body).toEqual(first.body);
    expect(rerun.headers.get('location')).toBe(first.headers.get('location'));
    expect(await system.db.store.headPosition()).toBe(head);
    expect(await system.db.store.readStream(`user-${first.body.userId}`)).toHaveLength(1);
    expect(await system.db.store.readStream(`handle-${body.handle.toLowerCase()}`)).toHaveLength(1);
  });

  it('a retried tweet converges on the first run: one tweet, same id and position', async () => {
    const alice = await register(api);
    const key = 'post-crash';
    const first = await api.post('/v1/tweets', { token: alice.token, body: { text: 'exactly once' }, headers: { 'idempotency-key': key } });
    await simulateCrashAfterAppend(key);
    const head = await system.db.store.headPosition();
    const rerun = await api.post('/v1/tweets', { token: alice.token, body: { text: 'exactly once' }, headers: { 'idempotency-key': key } });
    expect(rerun.status).toBe(202);
    expect(rerun.headers.get('idempotent-replayed')).toBeNull();
    expect(rerun.body).toEqual(first.body);
    expect(await system.db.store.headPosition()).toBe(head);
  });
});

describe('Idempotency-Key: replayed answers', () => {
  it('replay the Location header with the body', async () => {
    const alice = await register(api);
    const headers = { 'idempotency-key': 'post-with-location' };
    const first = await api.post('/v1/tweets', { token: alice.token, body: { text: 'where am I' }, headers });
    expect(first.headers.get('location')).toBe(`/v1/tweets/${first.body.tweetId}`);
    const retry = await api.post('/v1/tweets', { token: alice.token, body: { text: 'where am I' }, headers });
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));

    const registration = { handle: uniqueHandle('lo'), password: 'correct horse', displayName: 'Lo' };
    const registered = await api.post('/v1/users', { body: registration, headers: { 'idempotency-key': 'register-location' } });
    const again = await api.post('/v1/users', { body: registration, headers: { 'idempotency-key': 'register-location' } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/v1/users/${registration.handle}`);
    expect(again.body).toEqual(registered.body);
  });

  it('scope anonymous keys by route, and authenticated keys by user', async () => {
    const key = `anon-scope-${uniqueHandle()}`;
    await api.post('/v1/users', { body: { handle: uniqueHandle('an'), password: 'correct horse', displayName: 'A' }, headers: { 'idempotency-key': key } });
    expect((await keyRow(key))?.scope).toBe('anonymous:POST /v1/users');
    const alice = await register(api);
    await api.post('/v1/tweets', { token: alice.token, body: { text: 'scoped' }, headers: { 'idempotency-key': `${key}-u` } });
    expect((await keyRow(`${key}-u`))?.scope).toBe(`user:${alice.userId}`);
  });
});

describe('Idempotency-Key: what is stored', () => {
  it('fingerprints requests with an HMAC under a server secret, not a plain hash of the body (which holds the password)', async () => {
    const key = `fingerprint-${uniqueHandle()}`;
    const body = { handle: uniqueHandle('fp'), password: 'correct horse', displayName: 'F' };
    expect((await api.post('/v1/users', { body, headers: { 'idempotency-key': key } })).status).toBe(201);
    const described = `POST /v1/users\n${JSON.stringify(body)}`;
    const { fingerprint } = (await keyRow(key))!;
    expect(fingerprint).not.toBe(createHash('sha256').update(described).digest('base64url'));
    const serverKey = createTokenService(TEST_JWT_SECRET, 60).deriveKey('idempotency-fingerprint');
    expect(fingerprint).toBe(createHmac('sha256', serverKey).update(described).digest('base64url'));
  });

  it('forgets keys after their retention, but never one whose run still holds it', async () => {
    const alice = await register(api);
    const send = (key: string) => api.post('/v1/tweets', { token: alice.token, body: { text: `retained ${key}` }, headers: { 'idempotency-key': key } });
    const old = await send('old-key');
    await send('fresh-key');
    await sql(`UPDATE command_idempotency SET created_at = now() - interval '25 hours' WHERE key = 'old-key'`);
    await sql(
      `INSERT INTO command_idempotency (scope, key, fingerprint, state, created_at, lease_until)
       VALUES ($1, 'running-key', 'x', 'pending', now() - interval '25 hours', now() + interval '1 minute')`,
      [`user:${alice.userId}`],
    );
    const idempotencyStore = await createSqlIdempotencyStore(system.db.executor);
    expect(await idempotencyStore.purgeExpired()).toBe(1);
    const left = await sql<{ key: string }>(`SELECT key FROM command_idempotency WHERE key IN ('old-key', 'fresh-key', 'running-key') ORDER BY key`);
    expect(left.map((r) => r.key)).toEqual(['fresh-key', 'running-key']);
    // The forgotten key is a new key now: the same request runs as a new command.
    const afterRetention = await send('old-key');
    expect(afterRetention.headers.get('idempotent-replayed')).toBeNull();
    expect(afterRetention.body.tweetId).not.toBe(old.body.tweetId);
  });
});
