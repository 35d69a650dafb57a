import { z } from 'zod';
import { Progress } from '../progress.ts';
import { parseSeedOptions, SeedUsageError } from '../seed-options.ts';

/**
 * `npm run seed`: a small, believable dataset created through the command API (so it exercises
 * the real write path): users, a few popular accounts most people follow, tweets with hashtags
 * and mentions, likes, retweets. Deterministic for a given --seed.
 */
let values: ReturnType<typeof parseSeedOptions>;
try {
  values = parseSeedOptions(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof SeedUsageError ? error.message : error);
  process.exit(2);
}
const base = values.url;
const userCount = values.users;
const tweetCount = values.tweets;
let randomState = values.seed || 1;
const random = () => {
  // mulberry32: small, seedable, good enough for demo data.
  randomState = (randomState + 0x6d2b79f5) >>> 0;
  let t = randomState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const popular = [
  { handle: 'nasa', displayName: 'NASA' },
  { handle: 'nytimes', displayName: 'The New York Times' },
  { handle: 'taylorswift', displayName: 'Taylor Swift' },
];
const firstNames = ['ada', 'alan', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'radia', 'donald', 'frances', 'edsger', 'leslie', 'tim', 'hedy', 'john'];
const hashtags = ['eventsourcing', 'typescript', 'postgres', 'space', 'music', 'coffee', 'running', 'books', 'cqrs', 'nodejs'];
const phrases = [
  'Just shipped a new feature',
  'Reading about',
  'Hot take on',
  'Morning thoughts:',
  'Can anyone recommend something on',
  'Loving the community around',
  'Weekend plans involve',
  'Today I learned about',
];

interface Account {
  handle: string;
  userId: string;
  token: string;
}

const Session = z.object({ accessToken: z.string(), userId: z.string() });
const Posted = z.object({ tweetId: z.string() });

/** One command; 409 (already there, from an earlier seed) counts as done. */
async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (response.status >= 400 && response.status !== 409) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return { status: response.status, body: parsed };
}

async function account(handle: string, displayName: string): Promise<Account> {
  await call('POST', '/v1/users', { handle, password: values.password, displayName });
  const session = await call('POST', '/v1/sessions', { handle, password: values.password });
  if (session.status !== 200) throw new Error(`cannot log in as ${handle}: it exists with another password`);
  const { userId, accessToken } = Session.parse(session.body);
  return { handle, userId, token: accessToken };
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main() {
  try {
    await fetch(`${base}/healthz`);
  } catch {
    console.error(`cannot reach the command API at ${base}: start Chirp first (npm start)`);
    process.exit(1);
  }
  const people = Array.from({ length: userCount }, (_, i) => ({ handle: `${pick(firstNames)}_${i}`, displayName: `${pick(firstNames)} ${i}` }));
  const everyone = [...popular, ...people];
  const follows: Array<[number, number]> = [];
  for (let i = popular.length; i < everyone.length; i++) {
    for (let p = 0; p < popular.length; p++) if (random() < 0.8) follows.push([i, p]);
    for (let k = 0; k < 5; k++) {
      const j = Math.floor(random() * everyone.length);
      if (j !== i) follows.push([i, j]);
    }
  }
  const total = everyone.length + follows.length + tweetCount * 2;
  const progress = new Progress('seeding', total, 'requests');
  const accounts: Account[] = [];
  await inParallel(everyone.map((p, i) => ({ ...p, i })), 4, async (p) => {
    accounts[p.i] = await account(p.handle, p.displayName);
    progress.tick();
  });
  await inParallel(follows, 8, async ([a, b]) => {
    await call('PUT', `/v1/users/me/following/${accounts[b]!.userId}`, undefined, accounts[a]!.token);
    progress.tick();
  });
  const tweets: string[] = [];
  await inParallel(Array.from({ length: tweetCount }, (_, i) => i), 8, async (i) => {
    // Popular accounts post a third of everything.
    const author = random() < 0.33 ? accounts[i % popular.length]! : pick(accounts);
    const tag = pick(hashtags);
    const mention = random() < 0.2 ? ` @${pick(accounts).handle}` : '';
    const posted = await call('POST', '/v1/tweets', { text: `${pick(phrases)} #${tag}${random() < 0.3 ? ` #${pick(hashtags)}` : ''}${mention}` }, author.token);
    tweets.push(Posted.parse(posted.body).tweetId);
    progress.tick();
  });
  await inParallel(Array.from({ length: tweetCount }, (_, i) => i), 8, async () => {
    const who = pick(accounts);
    const tweetId = pick(tweets);
    await call('POST', `/v1/tweets/${tweetId}/${random() < 0.75 ? 'like' : 'retweet'}`, undefined, who.token);
    progress.tick();
  });
  progress.finish();
  console.log(`seeded ${accounts.length} users (password "${values.password}"), ${follows.length} follows, ${tweets.length} tweets, ${tweetCount} likes/retweets`);
  console.log(`try: curl -s ${base.replace(/:\d+$/, ':' + (process.env.CHIRP_QUERY_PORT ?? 3002))}/v1/users/nasa`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
