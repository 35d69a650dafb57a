import type { SqlQueryable } from '@chirp/event-store';
import { getProfilesByIds } from '@chirp/projectors/read-models/profiles/reader';
import { getTweetsByIds } from '@chirp/projectors/read-models/tweets/reader';

/** A list entry as a read model's reader returns it: ids only (the skeleton). */
export interface TweetSkeleton {
  tweetId: string;
  retweetedBy?: string;
}

export interface TweetView {
  tweetId: string;
  authorId: string;
  authorHandle: string;
  authorDisplayName: string;
  text: string;
  createdAt: string;
  likeCount: number;
  retweetCount: number;
  replyToTweetId: string | null;
  hashtags: string[];
  mentions: string[];
  retweetedBy?: { userId: string; handle: string };
}

/**
 * Skeleton → hydrate → present (Bluesky's shape): readers return ids; the tweets and profiles
 * read models fill them in. An entry whose tweet is gone (deleted, and the list's projection has
 * not caught up yet) is dropped here; the caller fetches more so the page stays full.
 */
export async function hydrateTweets(db: SqlQueryable, skeleton: readonly TweetSkeleton[]): Promise<TweetView[]> {
  if (skeleton.length === 0) return [];
  const tweets = await getTweetsByIds(db, [...new Set(skeleton.map((s) => s.tweetId))]);
  const userIds = new Set<string>();
  for (const s of skeleton) {
    const tweet = tweets.get(s.tweetId);
    if (tweet) userIds.add(tweet.authorId);
    if (s.retweetedBy) userIds.add(s.retweetedBy);
  }
  const profiles = await getProfilesByIds(db, [...userIds]);
  const views: TweetView[] = [];
  for (const s of skeleton) {
    const tweet = tweets.get(s.tweetId);
    const author = tweet && profiles.get(tweet.authorId);
    if (!tweet || !author) continue;
    const view: TweetView = {
      tweetId: tweet.tweetId,
      authorId: tweet.authorId,
      authorHandle: author.handle,
      authorDisplayName: author.displayName,
      text: tweet.text,
      createdAt: tweet.createdAt,
      likeCount: tweet.likeCount,
      retweetCount: tweet.retweetCount,
      replyToTweetId: tweet.replyToTweetId ?? null,
      hashtags: tweet.hashtags,
      mentions: tweet.mentions,
    };
    if (s.retweetedBy) {
      const by = profiles.get(s.retweetedBy);
      if (!by) continue;
      view.retweetedBy = { userId: by.userId, handle: by.handle };
    }
    views.push(view);
  }
  return views;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Fills a page to `limit` even when hydration drops entries: keeps reading further pages of the
 * skeleton (a bounded number of times) before answering.
 */
export async function fillPage(
  db: SqlQueryable,
  limit: number,
  cursor: string | undefined,
  readSkeleton: (limit: number, cursor: string | undefined) => Promise<{ items: TweetSkeleton[]; nextCursor: string | null }>,
): Promise<Page<TweetView>> {
  const items: TweetView[] = [];
  let next: string | null = cursor ?? null;
  for (let round = 0; round < 5; round++) {
    const skeleton = await readSkeleton(limit - items.length, next ?? undefined);
    items.push(...(await hydrateTweets(db, skeleton.items)));
    next = skeleton.nextCursor;
    if (items.length >= limit || next === null) break;
  }
  return { items, nextCursor: next };
}
