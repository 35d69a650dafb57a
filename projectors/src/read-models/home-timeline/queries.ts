import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import type { TimelineEntry } from '@chirp/timeline-cache';
import { toNumber } from '../../sql-values.ts';
import { walkFollowerCount, type CelebrityThresholds } from './lists.ts';
import { homeTables as t } from './schema.ts';

/**
 * The home-timeline model's SQL, in one place. Every query that decides a cache operation is one
 * set-based statement (never a round trip per follower). `follows($u, actor)` below means "u sees
 * actor's entries": actor = u, or u actively follows actor.
 */
const sees = (user: string, actor: string) =>
  `(${actor} = ${user} OR EXISTS (SELECT 1 FROM ${t.follows} g WHERE g.follower_id = ${user} AND g.followee_id = ${actor} AND g.active))`;

/** The ledger rows of one tweet (the original, if live, and its live retweets). */
const entriesOf = (tweetParam: string) => `SELECT actor_id, kind, position FROM ${t.activity} WHERE tweet_id = ${tweetParam}`;

interface EntryRow {
  tweet_id: string;
  actor_id: string;
  kind: string;
  position: unknown;
}

export function toEntry(r: EntryRow): TimelineEntry {
  return { tweetId: r.tweet_id, position: toNumber(r.position), retweetedBy: r.kind === 'retweet' ? r.actor_id : null };
}

export async function isCelebrity(q: SqlQueryable, userId: string): Promise<boolean> {
  const { rows } = await q.query<{ celebrity: boolean }>(`SELECT celebrity FROM ${t.authors} WHERE user_id = $1`, [userId]);
  return rows[0]?.celebrity ?? false;
}

/**
 * What fan-out of an arriving entry needs to know, in one round trip (it runs once per post):
 * the entry's ledger position if it is live (null when tombstoned or undone) and whether its actor
 * is a celebrity (pulled at read time, so not pushed to followers).
 */
export async function arrivalFacts(q: SqlQueryable, actorId: string, tweetId: string, kind: 'tweet' | 'retweet'): Promise<{ position: number | null; celebrity: boolean }> {
  const { rows } = await q.query<{ position: unknown; celebrity: boolean }>(
    `SELECT (SELECT position FROM ${t.activity} WHERE actor_id = $1 AND tweet_id = $2 AND kind = $3) AS position,
            COALESCE((SELECT celebrity FROM ${t.authors} WHERE user_id = $1), false) AS celebrity`,
    [actorId, tweetId, kind],
  );
  const row = rows[0]!;
  return { position: row.position === null ? null : toNumber(row.position), celebrity: row.celebrity };
}

/** The ledger row of an entry, if live: its position. */
export async function entryPosition(q: SqlQueryable, actorId: string, tweetId: string, kind: 'tweet' | 'retweet'): Promise<number | null> {
  const { rows } = await q.query<{ position: unknown }>(
    `SELECT position FROM ${t.activity} WHERE actor_id = $1 AND tweet_id = $2 AND kind = $3`,
    [actorId, tweetId, kind],
  );
  return rows[0] ? toNumber(rows[0].position) : null;
}

/** The active followers of any of `userIds` whose home list may be cached (threshold-crossing drops). */
export async function cachedFollowers(q: SqlQueryable, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const { rows } = await q.query<{ follower_id: string }>(
    `SELECT DISTINCT f.follower_id FROM ${t.follows} f JOIN ${t.cached} c ON c.user_id = f.follower_id
      WHERE f.followee_id = ANY($1::text[]) AND f.active`,
    [userIds],
  );
  return rows.map((r) => r.follower_id);
}

/**
 * Whose cached home timeline an entry (tweet `tweetId` by `actorId` at `position`) now wins in:
 * the actor and, when `withFollowers`, the actor's followers — only those whose list may be cached
 * (`rm_home_cached`; the others have no list to offer to) — minus everyone who already sees an
 * earlier entry of the tweet (even one long trimmed from their cache), so an old tweet retweeted
 * later never surfaces at the top. An original is never preceded by another entry of its tweet,
 * so `checkEarlier` is false for it and the check is skipped.
 */
export async function winnersOf(
  q: SqlQueryable,
  e: { tweetId: string; actorId: string; position: number; withFollowers: boolean; checkEarlier: boolean },
): Promise<string[]> {
  const { rows } = await q.query<{ user_id: string }>(
    `WITH viewers AS (
       SELECT user_id FROM ${t.cached} WHERE user_id = $2
       UNION
       SELECT f.follower_id FROM ${t.follows} f JOIN ${t.cached} c ON c.user_id = f.follower_id
        WHERE $4::boolean AND f.followee_id = $2 AND f.active
     )
     SELECT v.user_id FROM viewers v
      WHERE NOT $5::boolean OR NOT EXISTS (
        SELECT 1 FROM (${entriesOf('$1')}) x WHERE x.position < $3 AND ${sees('v.user_id', 'x.actor_id')})`,
    [e.tweetId, e.actorId, e.position, e.withFollowers, e.checkEarlier],
  );
  return rows.map((r) => r.user_id);
}

/**
 * A run of posts (originals), set-based: per post, whether its ledger row is live at its
 * position, whether its author is a celebrity, and the home lists it wins in — the author's own
 * and, for an ordinary author, the followers' (only users who may have a cached list). The same
 * answers `arrivalFacts` and `winnersOf` give post by post: an original is never preceded by
 * another entry of its tweet, and nothing here depends on the other posts of the run. Also the
 * newest ledger position outside the run (`newestBefore`): every list holds only ledger entries,
 * so a post above it (and above the run's earlier posts) is newer than anything in any list, and
 * its tweet has no other entry yet — the promise of `offer(…, { newest: true })`. One query.
 */
export async function postArrivals(
  q: SqlQueryable,
  posts: readonly { tweetId: string; authorId: string; position: number }[],
): Promise<{ arrivals: { position: number | null; celebrity: boolean; homes: string[] }[]; newestBefore: number | null }> {
  const { rows } = await q.query<{ i: string; position: unknown; celebrity: boolean; homes: string[]; newest_before: unknown }>(
    `SELECT x.i::text AS i, a.position, COALESCE(au.celebrity, false) AS celebrity,
            (SELECT position FROM ${t.activity} WHERE position <> ALL($3::bigint[]) ORDER BY position DESC LIMIT 1) AS newest_before,
            ARRAY(
              SELECT user_id FROM ${t.cached} WHERE user_id = x.author
              UNION
              SELECT f.follower_id FROM ${t.follows} f JOIN ${t.cached} c ON c.user_id = f.follower_id
               WHERE NOT COALESCE(au.celebrity, false) AND f.followee_id = x.author AND f.active
            ) AS homes
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(tweet, author, i)
       LEFT JOIN ${t.activity} a ON a.actor_id = x.author AND a.tweet_id = x.tweet AND a.kind = 'tweet'
       LEFT JOIN ${t.authors} au ON au.user_id = x.author`,
    [posts.map((p) => p.tweetId), posts.map((p) => p.authorId), posts.map((p) => p.position)],
  );
  const arrivals = posts.map(() => ({ position: null as number | null, celebrity: false, homes: [] as string[] }));
  for (const r of rows) arrivals[Number(r.i) - 1] = { position: r.position === null ? null : toNumber(r.position), celebrity: r.celebrity, homes: r.homes };
  const newest = rows[0]?.newest_before;
  return { arrivals, newestBefore: newest === null || newest === undefined ? null : toNumber(newest) };
}

/**
 * A celebrity's entry that arrives after a later entry of the same tweet was already fanned out
 * (at-least-once delivery, streams interleaved): the celebrity's followers for whom it is now the
 * winning entry, and who see a later one (which their cached timeline may hold and must not, as
 * the winner is merged from the celebrity's list at read time). Empty in order-preserving delivery.
 */
export async function overtakenBy(q: SqlQueryable, e: { tweetId: string; actorId: string; position: number }): Promise<string[]> {
  const { rows } = await q.query<{ user_id: string }>(
    `WITH later AS (SELECT actor_id FROM (${entriesOf('$1')}) x WHERE x.position > $3),
     viewers AS (
       SELECT actor_id AS user_id FROM later
       UNION
       SELECT f.follower_id FROM later JOIN ${t.follows} f ON f.followee_id = later.actor_id AND f.active
     )
     SELECT v.user_id FROM viewers v
      WHERE v.user_id <> $2
        AND EXISTS (SELECT 1 FROM ${t.follows} c WHERE c.follower_id = v.user_id AND c.followee_id = $2 AND c.active)
        AND NOT EXISTS (SELECT 1 FROM (${entriesOf('$1')}) x WHERE x.position < $3 AND ${sees('v.user_id', 'x.actor_id')})`,
    [e.tweetId, e.actorId, e.position],
  );
  return rows.map((r) => r.user_id);
}

export interface UndoTarget {
  userId: string;
  /** The tweet's next-earliest entry the user sees, when it belongs in the user's cached list. */
  replacement: TimelineEntry | null;
}

/**
 * After a retweet (by `actorId`, at `position`) left the ledger: the users for whom it was the
 * winning entry, each with the next-earliest entry they see (one statement). For an ordinary
 * retweeter those are the retweeter and followers; for a celebrity only the retweeter and those of
 * the followers who see another entry (the rest never cached it and have nothing to put in).
 * A replacement by a celebrity other than the user is merged at read time, so it is not returned.
 */
export async function undoTargets(
  q: SqlQueryable,
  e: { tweetId: string; actorId: string; position: number; celebrity: boolean },
): Promise<UndoTarget[]> {
  const { rows } = await q.query<{ user_id: string; actor_id: string | null; kind: string | null; position: unknown; pulled: boolean | null }>(
    `WITH others AS (${entriesOf('$1')}),
     candidates AS (
       SELECT $2::text AS user_id
       UNION
       SELECT f.follower_id FROM ${t.follows} f WHERE NOT $4::boolean AND f.followee_id = $2 AND f.active
       UNION
       SELECT v.user_id FROM (
           SELECT actor_id AS user_id FROM others
           UNION
           SELECT g.follower_id FROM others JOIN ${t.follows} g ON g.followee_id = others.actor_id AND g.active
         ) v
        WHERE $4::boolean
          AND EXISTS (SELECT 1 FROM ${t.follows} c WHERE c.follower_id = v.user_id AND c.followee_id = $2 AND c.active)
     )
     SELECT c.user_id, w.actor_id, w.kind, w.position,
            (w.actor_id <> c.user_id AND EXISTS (SELECT 1 FROM ${t.authors} a WHERE a.user_id = w.actor_id AND a.celebrity)) AS pulled
       FROM candidates c
       LEFT JOIN LATERAL (
         SELECT x.actor_id, x.kind, x.position FROM others x
          WHERE ${sees('c.user_id', 'x.actor_id')}
          ORDER BY x.position ASC LIMIT 1
       ) w ON true
      WHERE w.position IS NULL OR w.position > $3`,
    [e.tweetId, e.actorId, e.position, e.celebrity],
  );
  return rows.map((r) => ({
    userId: r.user_id,
    replacement:
      r.actor_id !== null && r.position !== null && !r.pulled
        ? toEntry({ tweet_id: e.tweetId, actor_id: r.actor_id, kind: r.kind ?? 'tweet', position: r.position })
        : null,
  }));
}

/**
 * Every list that may hold a tweet (before its ledger rows go): the author lists of everyone with
 * an entry of it, and the home lists of those actors and of the followers of the ordinary ones.
 */
export async function deleteTargets(q: SqlQueryable, tweetId: string): Promise<{ homes: string[]; authors: string[] }> {
  const { rows } = await q.query<{ user_id: string; actor: boolean }>(
    `WITH x AS (
       SELECT e.actor_id, COALESCE(a.celebrity, false) AS celebrity
         FROM ${t.activity} e LEFT JOIN ${t.authors} a ON a.user_id = e.actor_id
        WHERE e.tweet_id = $1
     )
     SELECT actor_id AS user_id, true AS actor FROM x
     UNION
     SELECT f.follower_id, false FROM x JOIN ${t.follows} f ON f.followee_id = x.actor_id AND f.active WHERE NOT x.celebrity`,
    [tweetId],
  );
  const homes = new Set<string>();
  const authors = new Set<string>();
  for (const r of rows) {
    homes.add(r.user_id);
    if (r.actor) authors.add(r.user_id);
  }
  return { homes: [...homes], authors: [...authors] };
}

/**
 * Moves an author's follower count by `delta` and applies the threshold with hysteresis: a
 * celebrity from `enter` followers on, an ordinary author again below `exit`. Resolves to whether
 * the author crossed (either way).
 */
export async function moveFollowerCount(
  q: SqlQueryable,
  userId: string,
  delta: 1 | -1,
  thresholds: { enter: number; exit: number },
): Promise<boolean> {
  const { rows } = await q.query<{ celebrity: boolean; was: boolean | null }>(
    `WITH old AS (SELECT celebrity FROM ${t.authors} WHERE user_id = $1)
     INSERT INTO ${t.authors} AS a (user_id, followers, celebrity) VALUES ($1, GREATEST($2::int, 0), $2::int >= $3::int)
     ON CONFLICT (user_id) DO UPDATE SET
       followers = GREATEST(a.followers + $2::int, 0),
       celebrity = CASE WHEN a.followers + $2::int >= $3::int THEN true WHEN a.followers + $2::int < $4::int THEN false ELSE a.celebrity END
     RETURNING celebrity, (SELECT celebrity FROM old) AS was`,
    [userId, delta, thresholds.enter, thresholds.exit],
  );
  const row = rows[0]!;
  return row.celebrity !== (row.was ?? false);
}

/**
 * `moveFollowerCount` for many authors at once, each with its flips in event order (one read under
 * lock, one upsert; the threshold walked step by step by `walkFollowerCount`). Resolves to the
 * authors that crossed the threshold at least once on the way.
 */
export async function moveFollowerCounts(
  q: SqlQueryable,
  paths: ReadonlyMap<string, readonly number[]>,
  thresholds: CelebrityThresholds,
): Promise<string[]> {
  const ids = [...paths.keys()];
  if (ids.length === 0) return [];
  const { rows } = await q.query<{ user_id: string; followers: unknown; celebrity: boolean }>(
    `SELECT user_id, followers, celebrity FROM ${t.authors} WHERE user_id = ANY($1::text[]) FOR UPDATE`,
    [ids],
  );
  const stored = new Map(rows.map((r) => [r.user_id, { followers: toNumber(r.followers), celebrity: r.celebrity }]));
  const ends = ids.map((id) => walkFollowerCount(stored.get(id) ?? { followers: 0, celebrity: false }, paths.get(id)!, thresholds));
  await q.query(
    `INSERT INTO ${t.authors} AS a (user_id, followers, celebrity)
     SELECT * FROM unnest($1::text[], $2::int[], $3::boolean[])
     ON CONFLICT (user_id) DO UPDATE SET followers = EXCLUDED.followers, celebrity = EXCLUDED.celebrity`,
    [ids, ends.map((e) => e.followers), ends.map((e) => e.celebrity)],
  );
  return ids.filter((_, i) => ends[i]!.crossed);
}

/**
 * The SQL reference timeline (fan-out on read): u's winning entries — each tweet's earliest entry
 * by u or an account u follows — newest first, strictly below `before`. With `pushedOnly`, the
 * winners whose actor is a celebrity other than u are left out after de-duplication (they are
 * merged from the celebrities' lists at read time): the content of u's cached list.
 */
export async function referenceEntries(
  q: SqlQueryable,
  userId: string,
  options: { before: number | null; limit: number; pushedOnly?: boolean },
): Promise<(TimelineEntry & { authorId: string })[]> {
  const { rows } = await q.query<EntryRow & { author_id: string }>(
    `SELECT tweet_id, author_id, actor_id, kind, position FROM (
       SELECT DISTINCT ON (a.tweet_id) a.tweet_id, a.author_id, a.actor_id, a.kind, a.position
         FROM ${t.activity} a
        WHERE (a.actor_id = $1
               OR a.actor_id IN (SELECT f.followee_id FROM ${t.follows} f WHERE f.follower_id = $1 AND f.active))
          AND ($2::bigint IS NULL OR a.position < $2::bigint)
        ORDER BY a.tweet_id, a.position ASC
     ) w
     WHERE NOT $4::boolean OR w.actor_id = $1
        OR NOT EXISTS (SELECT 1 FROM ${t.authors} c WHERE c.user_id = w.actor_id AND c.celebrity)
     ORDER BY position DESC
     LIMIT $3`,
    [userId, options.before, options.limit, options.pushedOnly ?? false],
  );
  return rows.map((r) => ({ ...toEntry(r), authorId: r.author_id }));
}

/** The celebrities u follows: the author lists merged into u's timeline at read time. */
export async function celebrityFollowees(q: SqlQueryable, userId: string): Promise<string[]> {
  const { rows } = await q.query<{ followee_id: string }>(
    `SELECT f.followee_id FROM ${t.follows} f JOIN ${t.authors} a ON a.user_id = f.followee_id AND a.celebrity
      WHERE f.follower_id = $1 AND f.active AND f.followee_id <> $1
      ORDER BY f.followee_id`,
    [userId],
  );
  return rows.map((r) => r.followee_id);
}

/** An author's own entries (tweets and retweets, one per tweet, the earlier wins), newest first. */
export async function authorEntries(q: SqlQueryable, actorId: string, limit: number): Promise<TimelineEntry[]> {
  const { rows } = await q.query<EntryRow>(
    `SELECT tweet_id, actor_id, kind, position FROM (
       SELECT DISTINCT ON (tweet_id) tweet_id, actor_id, kind, position
         FROM ${t.activity} WHERE actor_id = $1 ORDER BY tweet_id, position ASC
     ) w ORDER BY position DESC LIMIT $2`,
    [actorId, limit],
  );
  return rows.map(toEntry);
}

/**
 * Of a page's retweets merged from celebrities' lists, those u already sees an earlier entry of:
 * they are not u's winning entries (the winner shows elsewhere, at its own position). One query.
 */
export async function preceded(q: SqlQueryable, userId: string, candidates: readonly TimelineEntry[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const { rows } = await q.query<{ tweet_id: string; position: unknown }>(
    `SELECT c.tweet_id, c.position FROM unnest($2::text[], $3::bigint[]) AS c(tweet_id, position)
      WHERE EXISTS (
        SELECT 1 FROM ${t.activity} x WHERE x.tweet_id = c.tweet_id AND x.position < c.position AND ${sees('$1', 'x.actor_id')})`,
    [userId, candidates.map((c) => c.tweetId), candidates.map((c) => c.position)],
  );
  return new Set(rows.map((r) => `${r.tweet_id}@${toNumber(r.position)}`));
}
