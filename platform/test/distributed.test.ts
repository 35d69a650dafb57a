import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { client } from '../../test-support/http-client.ts';
import { freePort } from '../../test-support/ports.ts';
import { caughtUp, type ProjectionsAnswer } from '../../test-support/projections.ts';
import { startEntryPoint, startProcess, stopAllProcesses, type ChirpProcess, type Env } from '../../test-support/processes.ts';

/**
 * The entry points as separate processes on real PostgreSQL — the distributed topology, and
 * `npm start` pointed at PostgreSQL — driven over real HTTP.
 */
const secret = 'distributed-test-secret-distributed-test-secret';
const dirs: string[] = [];
const databases: TestDatabase[] = [];

async function environment(label: string): Promise<Env & { CHIRP_DATA_DIR: string; CHIRP_COMMAND_PORT: string; CHIRP_QUERY_PORT: string }> {
  const db = await createTestDatabase(label);
  databases.push(db);
  const dataDir = mkdtempSync(join(tmpdir(), 'chirp-distributed-'));
  dirs.push(dataDir);
  return {
    NODE_ENV: undefined,
    CHIRP_DATABASE_URL: db.url,
    CHIRP_JWT_SECRET: secret,
    CHIRP_DATA_DIR: dataDir, // must stay empty: nothing embedded, no generated secret
    CHIRP_COMMAND_PORT: String(await freePort()),
    CHIRP_QUERY_PORT: String(await freePort()),
    CHIRP_CONSISTENCY_WAIT_MS: '10000',
  };
}

afterAll(async () => {
  await stopAllProcesses();
  await Promise.all(databases.map((d) => d.drop()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
}, 60_000);

/** Registers and logs in; the session answer carries the user id. */
async function user(commands: ReturnType<typeof client>, handle: string) {
  const registered = await commands.post('/v1/users', { body: { handle, password: 'pass-word-1', displayName: handle } });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  const session = await commands.post('/v1/sessions', { body: { handle, password: 'pass-word-1' } });
  return { userId: session.body.userId as string, token: session.body.accessToken as string, position: registered.body.position as number };
}

describe('start:command-api, start:query-api and start:projectors --only … as separate processes', () => {
  let env: Awaited<ReturnType<typeof environment>>;
  let commands: ReturnType<typeof client>;
  let queries: ReturnType<typeof client>;
  let tsxRun: ChirpProcess[];
  let npmRun: ChirpProcess;
  let last = 0;

  beforeAll(async () => {
    env = await environment('distributed');
    // Two projector processes, each with half the projections; one through npm, to check `-- --only` gets through.
    npmRun = startProcess('npm', ['run', 'start:projectors', '--', '--only', 'profiles,tweets'], env);
    tsxRun = [
      startEntryPoint('start-projectors', ['--only', 'user-tweets,home-timeline'], env),
      startEntryPoint('start-command-api', [], env),
      startEntryPoint('start-query-api', [], env),
    ];
    await Promise.all([
      npmRun.waitFor('projectors running: profiles, tweets on PostgreSQL'),
      tsxRun[0]!.waitFor('projectors running: user-tweets, home-timeline on PostgreSQL'),
      tsxRun[1]!.waitFor('command API http://'),
      tsxRun[2]!.waitFor('query API http://'),
    ]);
    commands = client(`http://127.0.0.1:${env.CHIRP_COMMAND_PORT}`);
    queries = client(`http://127.0.0.1:${env.CHIRP_QUERY_PORT}`);
  }, 120_000);

  const read = async (path: string, token?: string) => {
    const res = await queries.get(path, { token, headers: { 'chirp-min-position': String(last) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('chirp-stale')).toBeNull();
    return res.body;
  };

  it('registers, follows, posts, and reads it all back through the query API with minPosition', async () => {
    const ann = await user(commands, 'ann');
    const ben = await user(commands, 'ben');
    expect((await commands.put(`/v1/users/me/following/${ben.userId}`, { token: ann.token })).status).toBe(202);
    const posted = await commands.post('/v1/tweets', { token: ben.token, body: { text: 'hello from another process #distributed' } });
    expect(posted.status).toBe(202);
    last = posted.body.position;

    expect(await read('/v1/users/ben')).toMatchObject({ userId: ben.userId, followersCount: 1, tweetsCount: 1 });
    expect((await read('/v1/users/ben/tweets')).items.map((t: any) => t.tweetId)).toEqual([posted.body.tweetId]);
    // The query API process verifies a token the command API process issued: one shared secret.
    expect((await read('/v1/timeline', ann.token)).items.map((t: any) => t.text)).toEqual(['hello from another process #distributed']);
    expect(readdirSync(env.CHIRP_DATA_DIR)).toEqual([]);
  });

  it('/v1/projections: caught up means lag 0 at the head; a command moves the positions', async () => {
    const before = await caughtUp(queries);
    expect(before.items.map((p) => p.name).sort()).toEqual(['home-timeline', 'profiles', 'tweets', 'user-tweets']);
    for (const p of before.items) expect(p).toMatchObject({ position: before.headPosition, state: 'running' });

    const cat = await user(commands, 'cat');
    last = (await commands.post('/v1/tweets', { token: cat.token, body: { text: 'moving the head' } })).body.position;
    expect(last).toBeGreaterThan(before.headPosition);
    // A read that waited for `last` implies its projections report at least `last`.
    await read('/v1/users/cat/tweets');
    const reading = ((await queries.get('/v1/projections')).body as ProjectionsAnswer).items.filter((p) => ['user-tweets', 'tweets', 'profiles'].includes(p.name));
    for (const p of reading) expect(p.position).toBeGreaterThanOrEqual(last);

    const after = await caughtUp(queries);
    expect(after.headPosition).toBe(last);
    for (const p of after.items) expect(p.position).toBe(last);
  });

  it('each process stops cleanly with exit code 0 on SIGTERM, even when the signal comes twice', async () => {
    const signalledAt = Date.now();
    for (const p of [...tsxRun, npmRun]) p.signalService('SIGTERM');
    // A terminal's Ctrl+C or a relaying parent delivers the same signal again: not a second, forceful request.
    setTimeout(() => {
      try {
        tsxRun[1]!.signalService('SIGTERM');
      } catch {
        // Already gone: stopped faster than the second signal came.
      }
    }, 20);
    const exits = await Promise.all([...tsxRun, npmRun].map((p) => p.exited));
    for (const [i, p] of [...tsxRun, npmRun].entries()) {
      expect(exits[i], p.output()).toMatchObject({ code: 0 });
      expect(exits[i]!.at - signalledAt).toBeLessThan(10_000);
      expect(p.output()).toMatch(/: stopped\n/);
    }
  }, 30_000);
});

describe('npm start with CHIRP_DATABASE_URL', () => {
  let env: Awaited<ReturnType<typeof environment>>;
  let chirp: ChirpProcess;

  beforeAll(async () => {
    env = await environment('npm_start');
    chirp = startProcess('npm', ['start'], env);
    await chirp.waitFor('query API');
  }, 120_000);

  it('runs every service in one process on PostgreSQL, and exits 0 on SIGTERM', async () => {
    expect(chirp.output()).toMatch(/Chirp is running on PostgreSQL 127\.0\.0\.1:\d+\/chirp_npm_start_/);
    const commands = client(`http://127.0.0.1:${env.CHIRP_COMMAND_PORT}`);
    const queries = client(`http://127.0.0.1:${env.CHIRP_QUERY_PORT}`);
    const dee = await user(commands, 'dee');
    const posted = await commands.post('/v1/tweets', { token: dee.token, body: { text: 'one process, real PostgreSQL' } });
    const timeline = await queries.get(`/v1/timeline?minPosition=${posted.body.position}`, { token: dee.token });
    expect(timeline.headers.get('chirp-stale')).toBeNull();
    expect(timeline.body.items.map((t: any) => t.tweetId)).toEqual([posted.body.tweetId]);
    expect(readdirSync(env.CHIRP_DATA_DIR)).toEqual([]);

    const signalledAt = Date.now();
    chirp.signalService('SIGTERM');
    const exit = await chirp.exited;
    expect(exit.code, chirp.output()).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(5000);
  }, 60_000);
});
