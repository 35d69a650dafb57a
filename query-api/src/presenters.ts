import type { SqlQueryable } from '@chirp/event-store';
import { getProfilesByIds, type Profile } from '@chirp/projectors/read-models/profiles/reader';
import { getTweetsByIds, type Tweet } from '@chirp/projectors/read-models/tweets/reader';
import { RecordCache, type RecordCacheOptions } from './record-cache.ts';

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

/** The tweets and profiles read models' records, through a short-lived cache of each (RecordCache). */
export interface Hydrator {
  tweets: RecordCache<Tweet>;
  profiles: RecordCache<Profile>;
}

export function createHydrator(db: SqlQueryable, cache: RecordCacheOptions): Hydrator {
  return {
    tweets: new RecordCache((ids) => getTweetsByIds(db, ids), cache),
    profiles: new RecordCache((ids) => getProfilesByIds(db, ids), cache),
  };
}

/**
 * Skeleton → hydrate → present (Bluesky's shape): readers return ids; the tweets and profiles
 * read models fill them in, reflecting at least position `covers` (what the request waited for).
 * An entry whose tweet is gone (deleted, and the list's projection has not caught up yet) is
 * dropped here; the caller fetches more so the page stays full.
 */
export async function hydrateTweets(hydrator: Hydrator, skeleton: readonly TweetSkeleton[], covers: number): Promise<TweetView[]> {
  if (skeleton.length === 0) return [];
  const tweets = await hydrator.tweets.getMany(skeleton.map((s) => s.tweetId), covers);
  const userIds: string[] = [];
  for (const s of skeleton) {
    const tweet = tweets.get(s.tweetId);
    if (tweet) userIds.push(tweet.authorId);
    if (s.retweetedBy) userIds.push(s.retweetedBy);
  }
  const profiles = await hydrator.profiles.getMany(userIds, covers);
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
  hydrator: Hydrator,
  covers: number,
  limit: number,
  cursor: string | undefined,
  readSkeleton: (limit: number, cursor: string | undefined) => Promise<{ items: TweetSkeleton[]; nextCursor: string | null }>,
): Promise<Page<TweetView>> {
  const items: TweetView[] = [];
  let next: string | null = cursor ?? null;
  for (let round = 0; round < 5; round++) {
    const skeleton = await readSkeleton(limit - items.length, next ?? undefined);
    items.push(...(await hydrateTweets(hydrator, skeleton.items, covers)));
    next = skeleton.nextCursor;
    if (items.length >= limit || next === null) break;
  }
  return { items, nextCursor: next };
}
