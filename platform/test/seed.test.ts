import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { runToExit, startEntryPoint } from '../../test-support/processes.ts';
import { parseSeedOptions } from '../src/seed-options.ts';

/** `npm run seed`: validated arguments, and a real run against a running Chirp. */
describe('seed arguments', () => {
  it.each([
    [['--users', 'abc'], /--users: must be a whole number/],
    [['--users', '0'], /--users: must be at least 1/],
    [['--users', '1e3'], /--users: must be a whole number/],
    [['--tweets=-5'], /--tweets: must be a whole number/],
    [['--tweets', '2.5'], /--tweets: must be a whole number/],
    [['--url', 'localhost:3001'], /--url: must be an http:\/\/ or https:\/\/ URL/],
    [['--password', 'short'], /--password: must be at least 8 characters/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('%o is refused', (args, message) => {
    expect(() => parseSeedOptions(args, {})).toThrow(message);
  });

  it('has defaults, and takes the command API from the environment', () => {
    expect(parseSeedOptions([], {})).toEqual({ url: 'http://127.0.0.1:3001', users: 40, tweets: 200, seed: 42, password: 'chirp-demo-password' });
    expect(parseSeedOptions([], { CHIRP_COMMAND_PORT: '4001' }).url).toBe('http://127.0.0.1:4001');
    expect(parseSeedOptions(['--url', 'http://h:9/'], {}).url).toBe('http://h:9');
  });

  it('a bad argument stops the script with the message before it contacts anything', async () => {
    const run = await runToExit(startEntryPoint('seed', ['--users', 'abc', '--url', 'http://127.0.0.1:1']));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('seed: invalid arguments:\n  --users: must be a whole number\n');
  });
});

describe('npm run seed against a running Chirp', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem('postgres');
  });
  afterAll(async () => system?.stop());

  it('reports success, and the users, follows, tweets and likes are there', async () => {
    const run = await runToExit(startEntryPoint('seed', ['--url', system.commandUrl, '--users', '4', '--tweets', '10']), 60_000);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/seeded 7 users \(password "chirp-demo-password"\), \d+ follows, 10 tweets, 10 likes\/retweets/);

    const queries = client(system.queryUrl);
    const head = (await queries.get('/v1/projections')).body.headPosition as number;
    const nasa = await queries.get(`/v1/users/nasa?minPosition=${head}`);
    expect(nasa.headers.get('chirp-stale')).toBeNull();
    expect(nasa.body).toMatchObject({ handle: 'nasa', displayName: 'NASA' });
    expect(nasa.body.followersCount).toBeGreaterThan(0);

    // Everything went through the command API into the log.
    const counts = new Map<string, number>();
    for (const e of await system.db.store.readAll(0, 100_000)) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    expect(counts.get('UserRegistered')).toBe(7);
    expect(counts.get('TweetPosted')).toBe(10);
    expect(counts.get('Followed')).toBeGreaterThan(3);
    // Likes and retweets of one tweet by one user happen once; repeats append nothing.
    expect((counts.get('TweetLiked') ?? 0) + (counts.get('Retweeted') ?? 0)).toBeGreaterThan(0);
  }, 90_000);
});
