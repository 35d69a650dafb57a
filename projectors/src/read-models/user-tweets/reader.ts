import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { decodeCursor, encodeCursor, validateLimit } from '../../cursor.ts';
import { userTweetsTables } from './schema.ts';
import { toNumber } from '../../sql-values.ts';

export interface UserTweetsItem {
  tweetId: string;
  /** Set when the entry is a retweet by the list's user. */
  retweetedBy?: string;
  /** Position of the event that put the entry in the list; the list is ordered by it, newest first. */
  sortPosition: number;
}

export interface Page<Item> {
  items: Item[];
  /** Opaque cursor for the next (older) page; null when there is none. */
  nextCursor: string | null;
}

export interface PageOptions {
  limit: number;
  /** A nextCursor from a previous page; invalid → InvalidCursorError. */
  cursor?: string | null;
}

/** A user's own tweets and retweets, newest first, keyset-paginated on position. */
export async function listUserTweets(db: SqlQueryable, userId: string, options: PageOptions): Promise<Page<UserTweetsItem>> {
  const limit = validateLimit(options.limit);
  const before = options.cursor ? decodeCursor(options.cursor) : null;
  const { rows } = await db.query<{ tweet_id: string; kind: 'tweet' | 'retweet'; position: unknown }>(
    `SELECT tweet_id, kind, position FROM ${userTweetsTables.activity}
      WHERE actor_id = $1 AND ($2::bigint IS NULL OR position < $2::bigint)
      ORDER BY position DESC
      LIMIT $3`,
    [userId, before, limit + 1],
  );
  const page = rows.slice(0, limit).map((r): UserTweetsItem => {
    const item: UserTweetsItem = { tweetId: r.tweet_id, sortPosition: toNumber(r.position) };
    if (r.kind === 'retweet') item.retweetedBy = userId;
    return item;
  });
  const last = page[page.length - 1];
  return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last.sortPosition) : null };
}
