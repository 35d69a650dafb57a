import type { StoredEvent } from '@chirp/domain/envelope';
import { decodeEvent } from '../src/projection.ts';
import type { HomeTimelineItem } from '../src/read-models/home-timeline/reader.ts';

/** The oracle, in plain TypeScript over the event list (design notes: "the oracle is simple"). */
export function referenceHome(events: readonly StoredEvent[], userId: string): HomeTimelineItem[] {
  const follows = new Set<string>();
  const tweets = new Map<string, { author: string; position: number; deleted: boolean }>();
  const retweets = new Map<string, { tweetId: string; author: string; by: string; position: number }>();
  for (const stored of events) {
    const e = decodeEvent(stored);
    switch (e.type) {
      case 'Followed':
        follows.add(`${e.data.followerId}|${e.data.followeeId}`);
        break;
      case 'Unfollowed':
        follows.delete(`${e.data.followerId}|${e.data.followeeId}`);
        break;
      case 'TweetPosted':
        tweets.set(e.data.tweetId, { author: e.data.authorId, position: e.position, deleted: false });
        break;
      case 'TweetDeleted': {
        const t = tweets.get(e.data.tweetId);
        if (t) t.deleted = true;
        break;
      }
      case 'Retweeted':
        retweets.set(`${e.data.tweetId}|${e.data.userId}`, { tweetId: e.data.tweetId, author: e.data.authorId, by: e.data.userId, position: e.position });
        break;
      case 'RetweetUndone':
        retweets.delete(`${e.data.tweetId}|${e.data.userId}`);
        break;
      default:
        break;
    }
  }
  // u sees what u and the accounts u follows posted and retweeted.
  const seen = (actor: string) => actor === userId || follows.has(`${userId}|${actor}`);
  const best = new Map<string, HomeTimelineItem>();
  const offer = (item: HomeTimelineItem) => {
    const current = best.get(item.tweetId);
    if (!current || item.sortPosition < current.sortPosition) best.set(item.tweetId, item);
  };
  for (const [tweetId, t] of tweets) {
    if (t.deleted) continue;
    if (seen(t.author)) offer({ tweetId, authorId: t.author, sortPosition: t.position });
  }
  for (const r of retweets.values()) {
    const t = tweets.get(r.tweetId);
    if (!t || t.deleted || !seen(r.by)) continue;
    offer({ tweetId: r.tweetId, authorId: r.author, retweetedBy: r.by, sortPosition: r.position });
  }
  return [...best.values()].sort((x, y) => y.sortPosition - x.sortPosition);
}
