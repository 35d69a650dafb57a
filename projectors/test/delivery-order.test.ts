import type { StoredEvent } from '@chirp/domain/envelope';
import type { ChirpEvent } from '@chirp/domain/events';
import type { SqlQueryable } from '@chirp/event-store';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projection } from '../src/projection.ts';
import { allProjections } from '../src/read-models/index.ts';
import { analyticsOverview, userAnalytics } from '../src/read-models/analytics/reader.ts';
import { analyticsTables } from '../src/read-models/analytics/schema.ts';
import { minuteOf } from '../src/read-models/event-rates/projection.ts';
import { readEventRates } from '../src/read-models/event-rates/reader.ts';
import { searchTweets, searchUsers } from '../src/read-models/search/reader.ts';
import { searchTables } from '../src/read-models/search/schema.ts';
import { hiddenTrends, readTrends } from '../src/read-models/trends/reader.ts';
import { trendsTables } from '../src/read-models/trends/schema.ts';
import { buildHistory, command, prng, type Command } from './histories.ts';
import { applyEvents, batches, dumpTables, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

// ---------------------------------------------------------------------------------------------
// Convergence under a partitioned, at-least-once feed (Kafka: order per key = stream id only,
// redelivery). For random histories — posts with hashtags and mentions, deletes, likes, retweets
// (also after the delete), follows in bursts, registrations, profile updates, operators hiding and
// showing trends — applying the events in log order, once each, one by one, must leave exactly
// the state that any delivery keeping each stream's order leaves, with
//   - duplicates (an event again at once),
//   - stale redeliveries (an earlier event of any stream, or an older event of the stream just
//     delivered, again at a random later point),
//   - consumer rewinds (a partition re-read from an older offset: a suffix of it again, in order),
// applied in batches of random sizes through `applyBatch` (the runner's path). Compared: every
// table of the projection, row for row, and for search, trends, analytics and event rates the
// readers' answers (queries, trends windows at fixed clocks, the analytics overview and per-user
// analytics, the per-minute event counts — also checked against counts made from the log itself).
// Besides, the in-order state is checked against a few counts of the history itself, so an
// equality of two empty (or two equally wrong) states cannot pass. CHIRP_DELIVERY_PROPERTY_RUNS
// sets the runs per projection and engine (default 20).
// ---------------------------------------------------------------------------------------------

const numRuns = Number(process.env.CHIRP_DELIVERY_PROPERTY_RUNS ?? 20);

const TAGS = ['rust', 'news', 'cats', 'eclipse'] as const;
const WORDS = ['borrow', 'checker', 'running', 'kitten', 'sunrise', 'deadline'] as const;

/** What a post says: some words, tags and mentions (users by index), cycled over the history's posts. */
const wording = (users: number) =>
  fc.record({
    words: fc.subarray([...WORDS], { minLength: 1, maxLength: 3 }),
    tags: fc.subarray([...TAGS], { maxLength: 3 }),
    mentions: fc.subarray(
      Array.from({ length: users }, (_, i) => i),
      { maxLength: 2 },
    ),
  });

/** Events the shared history builder does not write, inserted at a random point of the log (`at`). */
type Extra = { at: number } & ({ kind: 'profile'; a: number; name: boolean; bio: boolean } | { kind: 'trend'; tag: number });
const extra = (users: number): fc.Arbitrary<Extra> =>
  fc.oneof(
    fc.record({ at: fc.nat(), kind: fc.constant('profile' as const), a: fc.nat(users - 1), name: fc.boolean(), bio: fc.boolean() }),
    fc.record({ at: fc.nat(), kind: fc.constant('trend' as const), tag: fc.nat(TAGS.length - 1) }),
  );

const scenario = fc
  .integer({ min: 3, max: 6 })
  .chain((users) =>
    fc.record({
      users: fc.constant(users),
      // histories.ts's commands, with more posts and deletes (so stale posts of deleted tweets come up).
      commands: fc.array(
        fc.oneof(
          { weight: 4, arbitrary: command(users) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('post' as const), a: fc.nat(users - 1) }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: fc.nat(users - 1), k: fc.nat(50) }) },
        ),
        { minLength: 1, maxLength: 80, size: 'medium' },
      ) as fc.Arbitrary<Command[]>,
      wordings: fc.array(wording(users), { minLength: 1, maxLength: 8 }),
      extras: fc.array(extra(users), { maxLength: 12, size: 'medium' }),
      /** Minutes between consecutive events (cycled): spreads the history over hours, for trend windows and days. */
      gaps: fc.array(fc.integer({ min: 0, max: 45 }), { minLength: 1, maxLength: 6 }),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
    }),
  );
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

interface Log {
  users: string[];
  handles: string[];
  events: StoredEvent[];
}

const T0 = Date.parse('2026-03-01T06:00:00.000Z');
const MINUTE = 60_000;

/**
 * The scenario's event log: histories.ts's history (follows in per-pair streams), its posts given
 * text, hashtags and mentions, the extra events inserted, then written again through a History so
 * revisions and positions are those of that log, with event times spread by `gaps`.
 */
function buildLog(s: Scenario): Log {
  const { users, events: base } = buildHistory(s.users, s.commands);
  const handles = users.map((_, i) => `user_${i}`);
  const domain: { streamId: string; event: ChirpEvent }[] = [];
  let posts = 0;
  for (const e of base) {
    let event = { type: e.type, data: e.data } as ChirpEvent;
    if (event.type === 'TweetPosted') {
      const w = s.wordings[posts++ % s.wordings.length]!;
      const mentions = w.mentions.filter((i) => i < s.users).map((i) => handles[i]!);
      const text = [...w.words, ...w.tags.map((t) => `#${t}`), ...mentions.map((m) => `@${m}`)].join(' ');
      event = { type: 'TweetPosted', data: { ...event.data, text, hashtags: [...w.tags], mentions } };
    }
    domain.push({ streamId: e.streamId, event });
  }
  // Extras go after the registrations (the first `users` events), in `at` order.
  const hidden = new Set<string>();
  const operator = uuid();
  const inserts = s.extras.map((x, i) => ({ x, i, slot: s.users + (x.at % (domain.length - s.users + 1)) }));
  inserts.sort((a, b) => a.slot - b.slot || a.i - b.i);
  const extraEvents = new Map<number, { streamId: string; event: ChirpEvent }[]>();
  for (const { x, slot } of inserts) {
    let item: { streamId: string; event: ChirpEvent };
    if (x.kind === 'profile') {
      const userId = users[x.a % s.users]!;
      const data = { userId, ...(x.name || !x.bio ? { displayName: `Name ${slot} running` } : {}), ...(x.bio ? { bio: `bio ${slot}` } : {}) };
      item = { streamId: `user-${userId}`, event: { type: 'ProfileUpdated', data } };
    } else {
      // The trend decider: hide a shown tag, show a hidden one.
      const tag = TAGS[x.tag]!;
      const type = hidden.has(tag) ? 'TrendShown' : 'TrendHidden';
      if (hidden.has(tag)) hidden.delete(tag);
      else hidden.add(tag);
      item = { streamId: `trend-${tag}`, event: { type, data: { tag, operatorId: operator } } };
    }
    extraEvents.set(slot, [...(extraEvents.get(slot) ?? []), item]);
  }
  const merged: { streamId: string; event: ChirpEvent }[] = [];
  for (let i = 0; i <= domain.length; i++) {
    merged.push(...(extraEvents.get(i) ?? []));
    if (i < domain.length) merged.push(domain[i]!);
  }
  const h = new History();
  let clock = T0;
  const events = merged.map(({ streamId, event }, i) => {
    clock += s.gaps[i % s.gaps.length]! * MINUTE + 1000;
    return { ...h.append(streamId, event), occurredAt: new Date(clock).toISOString() };
  });
  return { users, handles, events };
}

/**
 * A delivery by a partitioned, at-least-once feed: the streams interleaved (each in order), with
 * duplicates, stale redeliveries of single events (any earlier one, or an older one of the stream
 * just delivered), and rewinds of a partition (streams hashed onto a few partitions) by up to a
 * dozen of its events.
 */
function kafkaDelivery(events: readonly StoredEvent[], random: () => number): StoredEvent[] {
  const partitions = 1 + Math.floor(random() * 4);
  const partitionOf = (streamId: string) => [...streamId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % partitions;
  const out: StoredEvent[] = [];
  for (const e of interleaveByStream(events, random)) {
    out.push(e);
    const r = random();
    if (r < 0.08) out.push(e);
    else if (r < 0.14) out.push(out[Math.floor(random() * out.length)]!);
    else if (r < 0.2) {
      // Stale for sure: an older event of this stream, after this one.
      const older = out.filter((x) => x.streamId === e.streamId && x.streamRevision < e.streamRevision);
      if (older.length > 0) out.push(older[Math.floor(random() * older.length)]!);
    }
    else if (r < 0.24) {
      const p = partitionOf(e.streamId);
      const mine = out.filter((x) => partitionOf(x.streamId) === p);
      out.push(...mine.slice(Math.max(0, mine.length - 1 - Math.floor(random() * 12))));
    }
  }
  return out;
}

/** The history's own facts, for the non-vacuity checks: live tweets and their tags, counted events. */
function model(events: readonly StoredEvent[]) {
  const live = new Map<string, { hashtags: string[] }>();
  for (const e of events) {
    if (e.type === 'TweetPosted') live.set((e.data as { tweetId: string }).tweetId, e.data as { hashtags: string[] });
    if (e.type === 'TweetDeleted') live.delete((e.data as { tweetId: string }).tweetId);
  }
  const counted = ['UserRegistered', 'TweetPosted', 'TweetDeleted', 'Retweeted', 'RetweetUndone', 'TweetLiked', 'TweetUnliked', 'Followed', 'Unfollowed'];
  return {
    liveTweets: live.size,
    tagUses: [...live.values()].reduce((n, t) => n + t.hashtags.length, 0),
    facts: events.filter((e) => counted.includes(e.type)).length,
    trendTags: new Set(events.filter((e) => e.type === 'TrendHidden').map((e) => (e.data as { tag: string }).tag)).size,
  };
}

interface Subject {
  projection: Projection;
  /** The readers' answers over the state (beyond the tables). */
  read?(db: SqlQueryable, log: Log): Promise<unknown>;
  /** Checks the in-order state against the history itself. */
  sane?(db: SqlQueryable, log: Log): Promise<void>;
}

const countRows = async (db: SqlQueryable, table: string) => Number((await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
const lastTime = (log: Log) => Date.parse(log.events[log.events.length - 1]!.occurredAt);
const HOUR = 3_600_000;

/** The log's events per UTC minute and type, counted in plain TypeScript: the event-rates oracle. */
function referenceRates(events: readonly StoredEvent[]): Record<string, Record<string, number>> {
  const rates: Record<string, Record<string, number>> = {};
  for (const e of events) {
    const minute = (rates[minuteOf(e.occurredAt)] ??= {});
    minute[e.type] = (minute[e.type] ?? 0) + 1;
  }
  return rates;
}

const logRange = (log: Log) => ({ from: new Date(T0), to: new Date(lastTime(log) + MINUTE) });

const readers: Record<string, Omit<Subject, 'projection'>> = {
  search: {
    async read(db, log) {
      const now = lastTime(log) + MINUTE;
      const queries = ['running', 'kitten or sunrise', '#rust', '#news -#cats', '"borrow checker"', `@${log.handles[0]}`, `deadline -@${log.handles[1]}`];
      const tweets: Record<string, string[]> = {};
      for (const q of queries) tweets[q] = (await searchTweets(db, q, { limit: 100, now })).items.map((i) => i.tweetId);
      // Paged too: the cursor's order over equal scores is the same.
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await searchTweets(db, 'running or borrow or #eclipse', { limit: 3, cursor, now });
        paged.push(...page.items.map((i) => i.tweetId));
        cursor = page.nextCursor;
      } while (cursor);
      const users: Record<string, string[]> = {};
      for (const q of ['user', 'user_1', 'name', 'running']) users[q] = await searchUsers(db, q, { limit: 20 });
      return { tweets, paged, users };
    },
    async sane(db, log) {
      const m = model(log.events);
      expect(await countRows(db, searchTables.tweets)).toBe(m.liveTweets);
      expect(await countRows(db, searchTables.users)).toBe(log.users.length);
    },
  },
  trends: {
    async read(db, log) {
      const end = lastTime(log);
      const out: unknown[] = [];
      for (const now of [end, end - 2 * HOUR, end + 30 * MINUTE, end - 12 * HOUR])
        for (const window of ['1h', '24h'] as const)
          for (const minAuthors of [1, 2]) out.push(await readTrends(db, { window, now, limit: 10, minAuthors }));
      return { trends: out, hidden: await hiddenTrends(db) };
    },
    async sane(db, log) {
      const m = model(log.events);
      expect(await countRows(db, trendsTables.uses)).toBe(m.tagUses);
      expect(await countRows(db, trendsTables.hidden)).toBe(m.trendTags);
    },
  },
  analytics: {
    async read(db, log) {
      const range = { from: T0 - HOUR, to: lastTime(log) + HOUR };
      const late = { from: Date.parse(log.events[Math.floor(log.events.length / 2)]!.occurredAt), to: range.to };
      const users: unknown[] = [];
      for (const handle of log.handles) users.push(await userAnalytics(db, handle, range), await userAnalytics(db, handle, late));
      return { overview: await analyticsOverview(db, range, 5), lateOverview: await analyticsOverview(db, late, 5), users };
    },
    async sane(db, log) {
      const m = model(log.events);
      // One fact per counted event of the log (so the dumps compare every fact, by position).
      expect(await countRows(db, analyticsTables.facts)).toBe(m.facts);
      expect(await countRows(db, analyticsTables.users)).toBe(log.users.length);
    },
  },
  'event-rates': {
    read: (db, log) => readEventRates(db, logRange(log)),
    async sane(db, log) {
      const { types, buckets } = await readEventRates(db, logRange(log));
      expect(Object.fromEntries(buckets.filter((b) => Object.keys(b.counts).length > 0).map((b) => [b.minute, b.counts]))).toEqual(referenceRates(log.events));
      expect(types).toEqual([...new Set(log.events.map((e) => e.type))].sort());
    },
  },
};

const subjects: { name: string; subject: Subject }[] = allProjections.map((projection) => ({
  name: projection.name,
  subject: { projection, ...readers[projection.name] },
}));

describe.each(engines)('every projection converges under per-stream-ordered, redelivering feeds (%s)', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'delivery_order');
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('the readers cover the projections they are named for', () => {
    expect(subjects.filter((s) => s.subject.read).map((s) => s.name).sort()).toEqual(['analytics', 'event-rates', 'search', 'trends']);
  });

  it.each(subjects)('$name', async ({ subject }) => {
    const { projection } = subject;
    const db = backend.executor;
    const state = async (log: Log) => ({ tables: await dumpTables(db, projection.readsTables ?? []), read: await subject.read?.(db, log) });
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const log = buildLog(s);
        // The reference: the log in order, each event once, one by one.
        await resetProjection(db, projection);
        await applyEvents(db, projection, log.events, true);
        await subject.sane?.(db, log);
        const expected = await state(log);
        // A partitioned, redelivering feed, in runner batches.
        const random = prng(s.seed);
        await resetProjection(db, projection);
        for (const part of batches(kafkaDelivery(log.events, random), random)) await applyEvents(db, projection, part);
        expect(await state(log)).toEqual(expected);
      }),
      { numRuns },
    );
  }, 60_000 + numRuns * 4_000);
});
