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

/** A tweet as served, with its JSON text, and the records it was made from. */
interface Presented {
  readonly view: TweetView;
  readonly json: string;
  readonly author: Profile;
  readonly by: Profile | undefined;
}

/**
 * Presented tweets, kept by the identity of the records they were made from. The record caches
 * hand out the same record objects for up to their max age, so a hot tweet is presented (and
 * stringified) once per record read instead of once per request; a record read again is a new
 * object and gets a new presentation, so nothing here is staler than the records themselves.
 * Weak keys: a presentation goes when its tweet record does.
 */
const presentations = new WeakMap<Tweet, Presented[]>();
/** Presentations kept per tweet record (one per retweeter seen, the original's among them). */
const PRESENTATIONS_PER_TWEET = 4;

function present(tweet: Tweet, author: Profile, by: Profile | undefined): Presented {
  const kept = presentations.get(tweet);
  const hit = kept?.find((p) => p.author === author && p.by === by);
  if (hit) return hit;
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
  if (by) view.retweetedBy = { userId: by.userId, handle: by.handle };
  const presented: Presented = { view, json: JSON.stringify(view), author, by };
  if (!kept) presentations.set(tweet, [presented]);
  else {
    if (kept.length >= PRESENTATIONS_PER_TWEET) kept.shift();
    kept.push(presented);
  }
  return presented;
}

/**
 * Skeleton → hydrate → present (Bluesky's shape): readers return ids; the tweets and profiles
 * read models fill them in, reflecting at least position `covers` (what the request waited for).
 * An entry whose tweet is gone (deleted, and the list's projection has not caught up yet) is
 * dropped here; the caller fetches more so the page stays full. The views are shared between
 * requests: read-only.
 */
export async function hydrateTweets(hydrator: Hydrator, skeleton: readonly TweetSkeleton[], covers: number): Promise<TweetView[]> {
  return (await hydrate(hydrator, skeleton, covers)).map((p) => p.view);
}

async function hydrate(hydrator: Hydrator, skeleton: readonly TweetSkeleton[], covers: number): Promise<Presented[]> {
  if (skeleton.length === 0) return [];
  const tweets = await hydrator.tweets.getMany(skeleton.map((s) => s.tweetId), covers);
  const userIds: string[] = [];
  for (const s of skeleton) {
    const tweet = tweets.get(s.tweetId);
    if (tweet) userIds.push(tweet.authorId);
    if (s.retweetedBy) userIds.push(s.retweetedBy);
  }
  const profiles = await hydrator.profiles.getMany(userIds, covers);
  const out: Presented[] = [];
  for (const s of skeleton) {
    const tweet = tweets.get(s.tweetId);
    const author = tweet && profiles.get(tweet.authorId);
    if (!tweet || !author) continue;
    const by = s.retweetedBy ? profiles.get(s.retweetedBy) : undefined;
    if (s.retweetedBy && !by) continue;
    out.push(present(tweet, author, by));
  }
  return out;
}

/** A page of presented tweets; `json()` is its body, `{ items, nextCursor }`. */
export class TweetPage {
  constructor(
    private readonly presented: readonly Presented[],
    readonly nextCursor: string | null,
  ) {}

  get items(): TweetView[] {
    return this.presented.map((p) => p.view);
  }

  /** JSON.stringify({ items, nextCursor }), from the presentations' kept texts. */
  json(): string {
    return `{"items":[${this.presented.map((p) => p.json).join(',')}],"nextCursor":${JSON.stringify(this.nextCursor)}}`;
  }
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
): Promise<TweetPage> {
  const items: Presented[] = [];
  let next: string | null = cursor ?? null;
  for (let round = 0; round < 5; round++) {
    const skeleton = await readSkeleton(limit - items.length, next ?? undefined);
    items.push(...(await hydrate(hydrator, skeleton.items, covers)));
    next = skeleton.nextCursor;
    if (items.length >= limit || next === null) break;
  }
  return new TweetPage(items, next);
}
