import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { decodeCursor, encodeCursor, validateLimit } from '../../cursor.ts';
import { homeTables } from './schema.ts';
import { toNumber } from '../../sql-values.ts';

export interface HomeTimelineItem {
  tweetId: string;
  authorId: string;
  /** Set when the entry that brought the tweet into the timeline is a retweet (by a followee or the user). */
  retweetedBy?: string;
  /** Position of that entry's event; the timeline is ordered by it, newest first. */
  sortPosition: number;
}

export interface HomeTimelinePage {
  items: HomeTimelineItem[];
  /** Opaque cursor for the next (older) page; null when there is none. */
  nextCursor: string | null;
}

export interface HomeTimelineOptions {
  limit: number;
  /** A nextCursor from a previous page; invalid → InvalidCursorError. */
  cursor?: string | null;
}

/**
 * home(u) = u's own tweets and retweets + tweets and retweets by the accounts u follows, minus
 * deleted tweets and undone retweets, each tweet once: the earliest visible entry for a tweet wins
 * (an original by u or a followee, or the first retweet by u or a followee), ordered by that
 * entry's position, newest first.
 *
 * Fan-out on read: the de-duplication (DISTINCT ON) runs over every visible entry before the
 * cursor and LIMIT, so a page is full whenever older entries exist. The earliest entry of a tweet
 * is older than every other entry of it, so filtering by the cursor before DISTINCT ON keeps it.
 */
export async function readHomeTimeline(
  db: SqlQueryable,
  userId: string,
  options: HomeTimelineOptions,
): Promise<HomeTimelinePage> {
  const limit = validateLimit(options.limit);
  const before = options.cursor ? decodeCursor(options.cursor) : null;
  const { rows } = await db.query<{ tweet_id: string; author_id: string; actor_id: string; kind: string; position: unknown }>(
    `SELECT tweet_id, author_id, actor_id, kind, position FROM (
       SELECT DISTINCT ON (a.tweet_id) a.tweet_id, a.author_id, a.actor_id, a.kind, a.position
         FROM ${homeTables.activity} a
        WHERE (a.actor_id = $1
               OR a.actor_id IN (SELECT f.followee_id FROM ${homeTables.follows} f WHERE f.follower_id = $1 AND f.active))
          AND ($2::bigint IS NULL OR a.position < $2::bigint)
        ORDER BY a.tweet_id, a.position ASC
     ) first_entries
     ORDER BY position DESC
     LIMIT $3`,
    [userId, before, limit + 1],
  );
  const items = rows.slice(0, limit).map((r): HomeTimelineItem => {
    const item: HomeTimelineItem = { tweetId: r.tweet_id, authorId: r.author_id, sortPosition: toNumber(r.position) };
    if (r.kind === 'retweet') item.retweetedBy = r.actor_id;
    return item;
  });
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.sortPosition) : null };
}
