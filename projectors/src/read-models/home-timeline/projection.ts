import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { listKey, type ListRef, type TimelineCache, type TimelineEntry } from '@chirp/timeline-cache';
import { defineProjection, type EventHandlers, type Projection, type ProjectedEventOf } from '../../projection.ts';
import { activityLedgerHandlers, insertPostsRun } from '../activity-ledger.ts';
import { runDdl } from '../../ddl.ts';
import { setMembership, setMemberships } from '../membership.ts';
import { authorList, celebrityThresholds, homeList } from './lists.ts';
import {
  postArrivals,
  arrivalFacts,
  cachedFollowers,
  deleteTargets,
  entryPosition,
  isCelebrity,
  moveFollowerCount,
  moveFollowerCounts,
  overtakenBy,
  undoTargets,
  winnersOf,
} from './queries.ts';
import { HOME_TIMELINE_NAME, HOME_TIMELINE_TABLES, HOME_TIMELINE_VERSION, HOME_PREFIX, homeFanOutIndexes, homeTables, homeTimelineDdl } from './schema.ts';
import { inTransaction } from './transaction-scope.ts';
import { instruments } from '@chirp/telemetry';

export interface HomeTimelineProjectionOptions {
  /**
   * The timeline cache the projection fans out to (Redis, or SQL through
   * `transactionBoundExecutor` on the projection's database); null keeps only the SQL tables
   * (the timeline is then served from SQL by fan-out on read).
   */
  readonly cache: TimelineCache | null;
  /** Followers from which an author is pulled at read time instead of pushed (CHIRP_CELEBRITY_THRESHOLD). */
  readonly celebrityThreshold: number;
  /** Below this many followers a celebrity is pushed again; default 90% of the threshold. */
  readonly celebrityExitThreshold?: number;
}

/**
 * The home-timeline projection (docs/timelines.md). In the batch transaction: the activity
 * ledger, the follow graph, follower counts and the celebrity set. Cache side effects happen
 * inside `apply`, before the batch commits: if it rolls back, the batch is applied again and
 * every cache operation (offer, withdraw, drop) is idempotent, decided from the same SQL state.
 */
export function createHomeTimelineProjection(options: HomeTimelineProjectionOptions): Projection {
  const { cache } = options;
  const thresholds = celebrityThresholds(options.celebrityThreshold, options.celebrityExitThreshold);
  const ledger = activityLedgerHandlers(HOME_PREFIX);

  /** An entry entered the ledger: put it where it now wins. */
  async function arrived(tx: SqlQueryable, c: TimelineCache, actorId: string, entry: TimelineEntry, celebrity: boolean): Promise<void> {
    const homes = await winnersOf(tx, {
      tweetId: entry.tweetId,
      actorId,
      position: entry.position,
      withFollowers: !celebrity,
      checkEarlier: entry.retweetedBy !== null,
    });
    await c.offer([authorList(actorId), ...homes.map(homeList)], entry);
    recordFanOut(homes.length, celebrity);
    if (celebrity) {
      const overtaken = await overtakenBy(tx, { tweetId: entry.tweetId, actorId, position: entry.position });
      if (overtaken.length > 0) await c.withdraw(overtaken.map(homeList), entry.tweetId);
    }
  }

  async function followChanged(tx: SqlQueryable, e: FollowEvent, active: boolean) {
    const { followerId, followeeId } = e.data;
    const change = await setMembership(tx, homeTables.follows, { follower_id: followerId, followee_id: followeeId }, active, e.streamRevision);
    if (change === 'unchanged') return;
    const crossed = await moveFollowerCount(tx, followeeId, change === 'activated' ? 1 : -1, thresholds);
    if (!cache) return;
    // The follower's cached timeline is dropped, not edited: the next read rebuilds it from SQL
    // (with the followee's entries in or out). Crossing the threshold moves the followee between
    // push and pull for every follower: their timelines are dropped too.
    const lists: ListRef[] = [homeList(followerId)];
    if (crossed) lists.push(...(await cachedFollowers(tx, [followeeId])).map(homeList));
    await cache.drop(lists);
  }

  /**
   * A run of Followed/Unfollowed, set-based, with the one-by-one outcome: the memberships in one
   * read and one upsert (per event: did it flip?); each followee's flips walked through the
   * threshold in event order (hysteresis depends on the path); then ONE drop of every flipped
   * follower's list and, for every followee that crossed at any step, its followers' lists. The
   * followers are taken after the run, not at the crossing: anyone who followed or unfollowed in
   * between flipped and is dropped anyway, so the union is the same set.
   */
  async function followRun(tx: SqlQueryable, events: readonly FollowEvent[]) {
    const changes = await setMemberships(
      tx,
      homeTables.follows,
      ['follower_id', 'followee_id'],
      events.map((e) => ({ keys: [e.data.followerId, e.data.followeeId], active: e.type === 'Followed', revision: e.streamRevision })),
    );
    const paths = new Map<string, number[]>();
    const flipped = new Set<string>();
    changes.forEach((change, i) => {
      if (change === 'unchanged') return;
      const { followerId, followeeId } = events[i]!.data;
      flipped.add(followerId);
      const path = paths.get(followeeId) ?? [];
      path.push(change === 'activated' ? 1 : -1);
      paths.set(followeeId, path);
    });
    const crossed = await moveFollowerCounts(tx, paths, thresholds);
    if (!cache || flipped.size === 0) return;
    const dropped = new Set([...flipped, ...(await cachedFollowers(tx, crossed))]);
    await cache.drop([...dropped].map(homeList));
  }

  const insertPosts = insertPostsRun(HOME_PREFIX);
  /**
   * A run of posts: the ledger rows in one statement, every post's facts and winners in one
   * query, then the offers in event order (postArrivals says why the order of the queries does
   * not matter) — three SQL round trips per run instead of three per post; at 200 posts/s the
   * projector was waiting on those round trips, not computing.
   */
  async function postRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'TweetPosted'>[]): Promise<void> {
    await insertPosts(tx, events);
    if (!cache) return;
    const { arrivals, newestBefore } = await postArrivals(
      tx,
      events.map((e) => ({ tweetId: e.data.tweetId, authorId: e.data.authorId, position: e.position })),
    );
    // Delivered in position order (the store's feed), every post is newer than all the lists
    // hold, and the cache may take its cheap path; out of order (a feed that keeps only each
    // stream's order), the posts that are not take the full check.
    let highest = newestBefore ?? -1;
    for (const [i, e] of events.entries()) {
      const { position, celebrity, homes } = arrivals[i]!;
      const newest = e.position > highest;
      highest = Math.max(highest, e.position);
      if (position !== e.position) continue; // tombstoned
      const entry = { tweetId: e.data.tweetId, position: e.position, retweetedBy: null };
      if (celebrity) {
        await arrived(tx, cache, e.data.authorId, entry, true);
        continue;
      }
      await cache.offer([authorList(e.data.authorId), ...homes.map(homeList)], entry, { newest });
      recordFanOut(homes.length, false);
    }
  }

  const on: EventHandlers = {
    // A post alone is a run of one (postRun): one code path for live posts and replays.
    TweetPosted: (tx, e) => postRun(tx, [e]),
    async Retweeted(tx, e) {
      await ledger.Retweeted(tx, e);
      if (!cache) return;
      const { tweetId, userId } = e.data;
      // Live at this position: not tombstoned, not a stale redelivery (undone, or retweeted again since).
      const facts = await arrivalFacts(tx, userId, tweetId, 'retweet');
      if (facts.position !== e.position) return;
      await arrived(tx, cache, userId, { tweetId, position: e.position, retweetedBy: userId }, facts.celebrity);
    },
    async RetweetUndone(tx, e) {
      const { tweetId, userId } = e.data;
      const before = cache ? await entryPosition(tx, userId, tweetId, 'retweet') : null;
      await ledger.RetweetUndone(tx, e);
      if (!cache || before === null || (await entryPosition(tx, userId, tweetId, 'retweet')) !== null) return;
      const celebrity = await isCelebrity(tx, userId);
      const targets = await undoTargets(tx, { tweetId, actorId: userId, position: before, celebrity });
      const replacements = new Map<string, TimelineEntry>();
      const byEntry = new Map<number, { entry: TimelineEntry; lists: ListRef[] }>();
      for (const { userId: viewer, replacement } of targets) {
        if (!replacement) continue;
        replacements.set(listKey(homeList(viewer)), replacement);
        const group = byEntry.get(replacement.position) ?? { entry: replacement, lists: [] };
        group.lists.push(homeList(viewer));
        byEntry.set(replacement.position, group);
      }
      await cache.withdraw([authorList(userId), ...targets.map((t) => homeList(t.userId))], tweetId, {
        onlyRetweetedBy: userId,
        replacements,
      });
      // A list that did not hold the undone retweet (it was merged from a celebrity's list, or sat
      // below a trimmed list's oldest entry) still takes the next entry where it belongs.
      for (const { entry, lists } of byEntry.values()) await cache.offer(lists, entry);
    },
    async TweetDeleted(tx, e) {
      const targets = cache ? await deleteTargets(tx, e.data.tweetId) : null;
      await ledger.TweetDeleted(tx, e);
      if (!cache || !targets) return;
      await cache.withdraw([...targets.authors.map(authorList), ...targets.homes.map(homeList)], e.data.tweetId);
    },
    Followed: (tx, e) => followChanged(tx, e, true),
    Unfollowed: (tx, e) => followChanged(tx, e, false),
  };

  const projection = defineProjection({
    name: HOME_TIMELINE_NAME,
    version: HOME_TIMELINE_VERSION,
    readsTables: HOME_TIMELINE_TABLES,
    // With a cache, the fan-out reads the follower and position indexes: they are the writes' own.
    setup: (db) => runDdl(db, cache ? [...homeTimelineDdl, ...homeFanOutIndexes] : homeTimelineDdl),
    ...(cache ? {} : { readerIndexes: homeFanOutIndexes }),
    on,
    runs: { Followed: followRun, Unfollowed: followRun, TweetPosted: postRun },
  });
  const applyBatch = projection.applyBatch!;
  return {
    ...projection,
    apply: (tx, event) => inTransaction(tx, () => projection.apply(tx, event)),
    applyBatch: (tx, events) => inTransaction(tx, () => applyBatch(tx, events)),
    // A replay builds the tables without the cache, then empties it: the new tables know no cached
    // user yet, so a list left behind would get no fan-out. Readers rebuild lists on demand.
    ...(cache ? { replica: createHomeTimelineProjection({ ...options, cache: null }), afterReplay: () => cache.clear() } : {}),
  };
}

type FollowEvent = ProjectedEventOf<'Followed' | 'Unfollowed'>;

/**
 * The SQL tables only, no cache: for callers that serve the timeline from SQL (fan-out on read,
 * `readHomeTimeline(db, …)`). Same name, version and tables as the cached projection.
 */
export const homeTimelineProjection: Projection = createHomeTimelineProjection({ cache: null, celebrityThreshold: 10_000 });

/**
 * How many home timelines an entry was pushed into: followers' lists for a normal author; for a
 * celebrity (`pull`) only the few whose timeline it overtakes, the rest merge it at read time.
 */
function recordFanOut(lists: number, celebrity: boolean): void {
  instruments().fanOutSize.record(lists, { mode: celebrity ? 'pull' : 'push' });
}
