import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '@chirp/domain/envelope';
import { eventTypes, schemaVersions, type ChirpEvent } from '@chirp/domain/events';
import { createSqlEventStore, openPgliteExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { createJsonApp, createTokenService, problemHandler } from '@chirp/http-kit';
import { eventRatesProjection } from '@chirp/projectors/read-models/event-rates/projection';
import { startProjectors, type ProjectorHost } from '@chirp/projectors/runtime';
import { minCheckpoint } from '@chirp/projectors/status/reader';
import { client } from '../../test-support/http-client.ts';
import { createQueryApi, type QueryApi } from '../src/app.ts';
import { operatorEvents } from '../src/operator-events.ts';

const MINUTE = 60_000;
const NOW = Date.parse('2026-03-01T12:02:30.000Z');

interface Frame {
  id: string;
  event: string;
  data: any;
}

/** A text/event-stream over real HTTP (fetch), read frame by frame; comments (keep-alives) are skipped. */
async function openLive(base: string, path: string, token: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  /** The next event frame, or null when the server ended the stream. */
  async function next(timeoutMs = 5_000): Promise<Frame | null> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) continue;
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
        return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) };
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs)));
      const chunk = await Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
      if (chunk.done) return null;
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  }
  return { res, next, close: () => controller.abort() };
}

describe('operator routes of the query API (real HTTP, embedded PGlite)', () => {
  let executor: SqlExecutor;
  let store: EventStore;
  let projectors: ProjectorHost;
  let api: QueryApi;
  let server: Server;
  let base: string;
  let tempDir: string;
  let operator: string;
  let reader: string;
  const tokens = createTokenService('operator-events-test-secret-0123456789', 3600);

  const listen = async (queryApi: QueryApi) => {
    const s = createServer(queryApi.app);
    await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
    return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  };

  beforeAll(async () => {
    executor = await openPgliteExecutor('memory://');
    store = await createSqlEventStore(executor, { pollIntervalMs: 50 });
    projectors = await startProjectors(store, executor, [eventRatesProjection]);
    tempDir = mkdtempSync(join(tmpdir(), 'chirp-dashboard-'));
    const dashboardDir = join(tempDir, 'dashboard');
    mkdirSync(join(dashboardDir, 'sub'), { recursive: true });
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>Chirp events</title>');
    writeFileSync(join(dashboardDir, 'dashboard.js'), 'console.log("chirp");');
    writeFileSync(join(dashboardDir, 'dashboard.css'), 'body { margin: 0 }');
    writeFileSync(join(dashboardDir, '.secret'), 'hidden');
    writeFileSync(join(dashboardDir, 'sub', 'index.html'), 'nested');
    writeFileSync(join(tempDir, 'outside-dashboard.txt'), 'outside');
    api = createQueryApi({
      db: executor,
      store,
      tokens,
      consistencyWaitMs: 0,
      clock: () => NOW,
      dashboard: { commandApiUrl: 'http://localhost:3001/', directory: dashboardDir },
    });
    ({ server, base } = await listen(api));
    operator = await tokens.issue({ userId: randomUUID(), handle: 'ops', roles: ['operator'] });
    reader = await tokens.issue({ userId: randomUUID(), handle: 'reader', roles: [] });
  });

  afterAll(async () => {
    api?.close();
    server?.closeAllConnections();
    await new Promise((done) => server?.close(done));
    await projectors?.stop();
    await store?.close();
    await executor?.close();
    rmSync(tempDir, { recursive: true, force: true });
  });

  /** Appends one event; its actor and time as given. Resolves to its position. */
  async function append(streamId: string, event: ChirpEvent, actorUserId: string | null = null, occurredAt = new Date().toISOString()): Promise<number> {
    const envelope: NewEvent = {
      eventId: randomUUID(),
      type: event.type,
      data: event.data,
      schemaVersion: schemaVersions[event.type],
      occurredAt,
      metadata: { correlationId: 'test', causationId: 'test', actorUserId },
    };
    return (await store.append(streamId, [envelope], 'any')).position;
  }
  const post = (authorId: string, tweetId = randomUUID(), occurredAt?: string) =>
    append(`tweet-${tweetId}`, { type: 'TweetPosted', data: { tweetId, authorId, text: 'hello', hashtags: [], mentions: [] } }, authorId, occurredAt);
  const like = (tweetId: string, authorId: string, userId: string, occurredAt?: string) =>
    append(`engagement-${tweetId}-${userId}`, { type: 'TweetLiked', data: { tweetId, authorId, userId } }, userId, occurredAt);
  const PASSWORD_HASH = 'scrypt$16384$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';
  const register = (userId: string) =>
    append(`user-${userId}`, { type: 'UserRegistered', data: { userId, handle: `u${userId.slice(0, 8)}`, displayName: 'Someone', passwordHash: PASSWORD_HASH } }, userId);

  describe('secret payload fields', () => {
    const redacted = (userId: string) => ({ userId, handle: `u${userId.slice(0, 8)}`, displayName: 'Someone', passwordHash: '[redacted]' });

    it('the live tail sends a registration without its password hash, from the backlog and live', async () => {
      const before = randomUUID();
      await register(before);
      const live = await openLive(base, `/v1/admin/events/live?type=UserRegistered&last=1`, operator);
      const backlog = await live.next();
      expect(backlog!.data.data).toEqual(redacted(before));
      const after = randomUUID();
      await register(after);
      const next = await live.next();
      expect(next!.data.data).toEqual(redacted(after));
      expect(JSON.stringify([backlog, next])).not.toContain(PASSWORD_HASH);
      live.close();
    });

    it('a stream’s history has it redacted too', async () => {
      const userId = randomUUID();
      await register(userId);
      const res = await fetch(`${base}/v1/admin/streams/user-${userId}/events`, { headers: { authorization: `Bearer ${operator}` } });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain(PASSWORD_HASH);
      expect(JSON.parse(text).items[0].data).toEqual(redacted(userId));
      // The log itself keeps it.
      expect((await store.readStream(`user-${userId}`))[0]!.data).toMatchObject({ passwordHash: PASSWORD_HASH });
    });
  });

  describe('access', () => {
    const paths = ['/v1/admin/events/live', '/v1/admin/streams/user-x/events', '/v1/admin/event-rates'];
    it.each(paths)('%s: 401 without a token, 403 without the operator role', async (path) => {
      const anonymous = await client(base).get(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const forbidden = await client(base).get(path, { token: reader });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.detail).toBe('the event log is for operators only');
    });
  });

  describe('GET /v1/admin/events/live', () => {
    it('sends only new events, as they are appended, filtered by type and acting user', async () => {
      const ann = randomUUID();
      const ben = randomUUID();
      const before = await post(ann);
      const live = await openLive(base, `/v1/admin/events/live?type=TweetPosted,TweetLiked&user=${ann}`, operator);
      expect(live.res.status).toBe(200);
      expect(live.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(live.res.headers.get('cache-control')).toBe('no-cache');
      expect(live.res.headers.get('x-accel-buffering')).toBe('no');

      const tweetId = randomUUID();
      await post(ben); // another actor
      await append(`user-${ann}`, { type: 'ProfileUpdated', data: { userId: ann, bio: 'hi' } }, ann); // another type
      const posted = await post(ann, tweetId);
      const liked = await like(tweetId, ann, ann);
      const first = await live.next();
      expect(first).toMatchObject({ id: String(posted), event: 'event' });
      expect(first!.data).toEqual({
        position: posted,
        streamId: `tweet-${tweetId}`,
        streamRevision: 0,
        eventId: expect.any(String),
        type: 'TweetPosted',
        schemaVersion: 1,
        occurredAt: expect.any(String),
        data: { tweetId, authorId: ann, text: 'hello', hashtags: [], mentions: [] },
        metadata: { correlationId: 'test', causationId: 'test', actorUserId: ann },
      });
      expect(Object.keys(first!.data)).toEqual(['position', 'streamId', 'streamRevision', 'eventId', 'type', 'schemaVersion', 'occurredAt', 'data', 'metadata']);
      expect((await live.next())!.id).toBe(String(liked));
      expect(Number(first!.id)).toBeGreaterThan(before);
      live.close();
    });

    it('filters by stream', async () => {
      const tweetId = randomUUID();
      const live = await openLive(base, `/v1/admin/events/live?stream=tweet-${tweetId}`, operator);
      await post(randomUUID());
      const mine = await post(randomUUID(), tweetId);
      expect((await live.next())!.data).toMatchObject({ position: mine, streamId: `tweet-${tweetId}` });
      live.close();
    });

    it('resumes after Last-Event-ID (taking precedence over ?after=), or after ?after=', async () => {
      const user = randomUUID();
      const positions = [await post(user), await post(user), await post(user)];
      const resumed = await openLive(base, `/v1/admin/events/live?user=${user}&after=${positions[0]}`, operator, { 'last-event-id': String(positions[1]) });
      expect((await resumed.next())!.id).toBe(String(positions[2]));
      resumed.close();
      const after = await openLive(base, `/v1/admin/events/live?user=${user}&after=${positions[0]}`, operator);
      expect([(await after.next())!.id, (await after.next())!.id]).toEqual([String(positions[1]), String(positions[2])]);
      after.close();
    });

    it('?last=N opens on the newest N events of the log (those the filters accept), then goes on live', async () => {
      const user = randomUUID();
      const positions = [await post(user), await post(user), await post(randomUUID()), await post(user)];
      const live = await openLive(base, `/v1/admin/events/live?user=${user}&last=3`, operator);
      // The newest three of the log are positions 1..3 here; position 2 is another actor's.
      expect([(await live.next())!.id, (await live.next())!.id]).toEqual([String(positions[1]), String(positions[3])]);
      const next = await post(user);
      expect((await live.next())!.id).toBe(String(next));
      live.close();
      // A resume ignores it: after Last-Event-ID only.
      const resumed = await openLive(base, `/v1/admin/events/live?user=${user}&last=3`, operator, { 'last-event-id': String(positions[3]) });
      expect((await resumed.next())!.id).toBe(String(next));
      resumed.close();
    });

    it('400 for an unknown type, a bad position or a bad stream id, naming the field', async () => {
      const cases: [string, Record<string, string>, string][] = [
        ['?type=TweetPosted,TweetSent', {}, '#/query/type'],
        ['?type=', {}, '#/query/type'],
        ['?after=-1', {}, '#/query/after'],
        ['?stream=not%20a%20stream', {}, '#/query/stream'],
        ['', { 'last-event-id': 'abc' }, '#/headers/last-event-id'],
      ];
      for (const [query, headers, pointer] of cases) {
        const res = await client(base).get(`/v1/admin/events/live${query}`, { token: operator, headers });
        expect(res.status, query).toBe(400);
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([pointer]);
      }
      const unknown = await client(base).get('/v1/admin/events/live?type=TweetSent', { token: operator });
      expect(unknown.body.errors[0].detail).toMatch(/^unknown event type TweetSent; valid types: HandleReserved, /);
    });

    it('at most 16 streams at once: the 17th is a 429; one that disconnects frees its place', async () => {
      const open = await Promise.all(Array.from({ length: 16 }, () => openLive(base, '/v1/admin/events/live', operator)));
      expect(open.map((s) => s.res.status)).toEqual(Array(16).fill(200));
      const refused = await client(base).get('/v1/admin/events/live', { token: operator });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('10');
      open[0]!.close();
      let again: Awaited<ReturnType<typeof openLive>> | undefined;
      for (let tries = 0; tries < 100 && again?.res.status !== 200; tries++) {
        again?.close();
        await new Promise((done) => setTimeout(done, 20));
        again = await openLive(base, '/v1/admin/events/live', operator);
      }
      expect(again!.res.status).toBe(200);
      for (const stream of [...open, again!]) stream.close();
    });

    it('an idle stream gets a keep-alive comment every keepAliveMs (15 s in the API)', async () => {
      const events = operatorEvents({ store, db: executor, tokens, keepAliveMs: 50 });
      const app = createJsonApp({});
      app.use(events.router);
      app.use(problemHandler());
      const s = createServer(app);
      await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
      try {
        const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/admin/events/live`, { headers: { authorization: `Bearer ${operator}` } });
        const reader = res.body!.getReader();
        let text = '';
        while (!text.includes(': keep-alive\n\n: keep-alive\n\n')) text += new TextDecoder().decode((await reader.read()).value);
        events.close();
        while (!(await reader.read()).done);
      } finally {
        await new Promise((done) => s.close(done));
      }
    });

    it('a stream ends when the token it was opened with expires; that token then opens none', async () => {
      // Same secret, a 2 s TTL: `exp` is whole seconds from `iat`, so 1 s might be over at once.
      const shortLived = await createTokenService('operator-events-test-secret-0123456789', 2).issue({ userId: randomUUID(), handle: 'ops', roles: ['operator'] });
      const expiresAt = (JSON.parse(Buffer.from(shortLived.split('.')[1]!, 'base64url').toString()).exp as number) * 1000;
      const live = await openLive(base, '/v1/admin/events/live', shortLived);
      expect(live.res.status).toBe(200);
      const posted = await post(randomUUID());
      expect((await live.next())!.id).toBe(String(posted));
      expect(await live.next(expiresAt - Date.now() + 2_000)).toBeNull();
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 50);
      const again = await client(base).get('/v1/admin/events/live', { token: shortLived, headers: { 'last-event-id': String(posted) } });
      expect(again.status).toBe(401);
      expect(again.body.detail).toBe('the access token has expired');
    });

    it("the API's close() ends every open stream at once", async () => {
      const other = createQueryApi({ db: executor, store, tokens, consistencyWaitMs: 0 });
      const listening = await listen(other);
      try {
        const streams = await Promise.all([openLive(listening.base, '/v1/admin/events/live', operator), openLive(listening.base, '/v1/admin/events/live?type=Followed', operator)]);
        const started = Date.now();
        other.close();
        expect(await Promise.all(streams.map((s) => s.next(2_000)))).toEqual([null, null]);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect((await client(listening.base).get('/v1/admin/events/live', { token: operator })).status).toBe(503);
      } finally {
        listening.server.closeAllConnections();
        await new Promise((done) => listening.server.close(done));
      }
    });
  });

  describe('GET /v1/admin/streams/:streamId/events', () => {
    it('pages through a stream by revision', async () => {
      const userId = randomUUID();
      const streamId = `user-${userId}`;
      for (let i = 0; i < 5; i++) await append(streamId, { type: 'ProfileUpdated', data: { userId, bio: `bio ${i}` } }, userId);
      const first = await client(base).get(`/v1/admin/streams/${streamId}/events?limit=2`, { token: operator });
      expect(first.status).toBe(200);
      expect(first.body.streamId).toBe(streamId);
      expect(first.body.items.map((e: any) => [e.streamRevision, e.data.bio])).toEqual([[0, 'bio 0'], [1, 'bio 1']]);
      expect(Object.keys(first.body.items[0]).sort()).toEqual(['data', 'eventId', 'metadata', 'occurredAt', 'position', 'schemaVersion', 'streamId', 'streamRevision', 'type']);
      expect(first.body.nextRevision).toBe(2);
      const last = await client(base).get(`/v1/admin/streams/${streamId}/events?fromRevision=4&limit=2`, { token: operator });
      expect(last.body.items.map((e: any) => e.streamRevision)).toEqual([4]);
      expect(last.body.nextRevision).toBeNull();
      const exact = await client(base).get(`/v1/admin/streams/${streamId}/events?fromRevision=3&limit=2`, { token: operator });
      expect([exact.body.items.length, exact.body.nextRevision]).toEqual([2, null]);
      const past = await client(base).get(`/v1/admin/streams/${streamId}/events?fromRevision=9`, { token: operator });
      expect([past.status, past.body.items, past.body.nextRevision]).toEqual([200, [], null]);
      const all = await client(base).get(`/v1/admin/streams/${streamId}/events`, { token: operator });
      expect(all.body.items).toHaveLength(5);
    });

    it('404 for a stream without events; 400 for a malformed id or page', async () => {
      const missing = await client(base).get(`/v1/admin/streams/user-${randomUUID()}/events`, { token: operator });
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      for (const [path, pointer] of [
        ['/v1/admin/streams/nodash/events', '#/params/streamId'],
        [`/v1/admin/streams/user-${'x'.repeat(200)}/events`, '#/params/streamId'],
        ['/v1/admin/streams/User-abc/events', '#/params/streamId'],
        ['/v1/admin/streams/user-abc/events?limit=0', '#/query/limit'],
        ['/v1/admin/streams/user-abc/events?limit=1001', '#/query/limit'],
        ['/v1/admin/streams/user-abc/events?fromRevision=-1', '#/query/fromRevision'],
      ] as const) {
        const res = await client(base).get(path, { token: operator });
        expect(res.status, path).toBe(400);
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer), path).toEqual([pointer]);
      }
      // Handles and tags may hold underscores and letters of any script.
      expect((await client(base).get('/v1/admin/streams/handle-some_one/events', { token: operator })).status).toBe(404);
      expect((await client(base).get(`/v1/admin/streams/trend-${encodeURIComponent('café')}/events`, { token: operator })).status).toBe(404);
    });
  });

  describe('GET /v1/admin/event-rates', () => {
    it('one bucket per minute of the window, empty ones included, ending with the current minute', async () => {
      const at = (ms: number) => new Date(ms).toISOString();
      const ann = randomUUID();
      const tweetId = randomUUID();
      await post(ann, tweetId, at(NOW - 2 * MINUTE)); // 12:00:30
      await like(tweetId, ann, randomUUID(), at(NOW - 2 * MINUTE + 10_000));
      await like(tweetId, ann, randomUUID(), at(NOW)); // 12:02:30, the current minute
      const last = await post(ann, randomUUID(), at(NOW - 10 * MINUTE)); // before the window
      for (let i = 0; await minCheckpoint(executor, ['event-rates']) < last; i++) {
        if (i > 500) throw new Error('event-rates did not catch up');
        await new Promise((done) => setTimeout(done, 10));
      }
      const res = await client(base).get('/v1/admin/event-rates?minutes=4', { token: operator });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        from: '2026-03-01T11:59:00.000Z',
        to: '2026-03-01T12:03:00.000Z',
        bucketSeconds: 60,
        types: ['TweetLiked', 'TweetPosted'],
        buckets: [
          { minute: '2026-03-01T11:59:00.000Z', counts: {} },
          { minute: '2026-03-01T12:00:00.000Z', counts: { TweetLiked: 1, TweetPosted: 1 } },
          { minute: '2026-03-01T12:01:00.000Z', counts: {} },
          { minute: '2026-03-01T12:02:00.000Z', counts: { TweetLiked: 1 } },
        ],
      });
      const byDefault = await client(base).get('/v1/admin/event-rates', { token: operator });
      expect(byDefault.body.buckets).toHaveLength(60);
      expect(byDefault.body.buckets.at(-1).minute).toBe('2026-03-01T12:02:00.000Z');
      expect(byDefault.body.types).toEqual(['TweetLiked', 'TweetPosted']);
    });

    it.each(['0', '1441', 'abc', '1.5'])('?minutes=%s is a 400', async (minutes) => {
      const res = await client(base).get(`/v1/admin/event-rates?minutes=${minutes}`, { token: operator });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].pointer).toBe('#/query/minutes');
    });
  });

  describe('the dashboard page', () => {
    const csp =
      "default-src 'self'; connect-src 'self' http://localhost:3001; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    it.each(['/dashboard', '/dashboard/'])('%s is index.html, public, not cached, under the CSP', async (path) => {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(csp);
      expect(await res.text()).toBe('<!doctype html><title>Chirp events</title>');
    });

    it('serves the other files of the folder with their content types', async () => {
      const js = await fetch(`${base}/dashboard/dashboard.js`);
      expect([js.status, js.headers.get('content-type'), js.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'no-cache']);
      expect(await js.text()).toBe('console.log("chirp");');
      const css = await fetch(`${base}/dashboard/dashboard.css`);
      expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    });

    it("config.json names the command API and the domain's event types, in the catalogue's order", async () => {
      const res = await client(base).get('/dashboard/config.json');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ commandApiUrl: 'http://localhost:3001', eventTypes: [...eventTypes] });
      expect(res.body.eventTypes).toContain('UserRegistered');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(csp);
    });

    it.each(['/dashboard/missing.js', '/dashboard/.secret', '/dashboard/..%2Foutside-dashboard.txt', '/dashboard/%2e%2e/outside-dashboard.txt', '/dashboard/sub/index.html'])(
      '%s is a 404: only files of the folder',
      async (path) => {
        const res = await fetch(`${base}${path}`);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      },
    );

    it('is not served without the dashboard option', async () => {
      const other = createQueryApi({ db: executor, store, tokens, consistencyWaitMs: 0 });
      const listening = await listen(other);
      try {
        expect((await fetch(`${listening.base}/dashboard`)).status).toBe(404);
        expect((await fetch(`${listening.base}/dashboard/config.json`)).status).toBe(404);
      } finally {
        other.close();
        await new Promise((done) => listening.server.close(done));
      }
    });
  });
});
