/**
 * Stream naming. One place decides which events share a stream, because a stream is the unit of
 * consistency: a decider sees exactly one stream's history.
 *
 * Likes and retweets live in one small stream per (tweet, user) pair rather than in the tweet's
 * stream: a popular tweet would otherwise need millions of events folded to decide one like.
 * Follows live in one stream per (follower, followee) pair rather than in the follower's stream:
 * a user following many accounts at once would otherwise conflict with themselves.
 */
export const streams = {
  handle: (handle: string) => `handle-${handle.toLowerCase()}`,
  user: (userId: string) => `user-${userId}`,
  follow: (followerId: string, followeeId: string) => `follow-${followerId}-${followeeId}`,
  tweet: (tweetId: string) => `tweet-${tweetId}`,
  engagement: (tweetId: string, userId: string) => `engagement-${tweetId}-${userId}`,
  /** Whether a hashtag is hidden from trends (trend.ts). */
  trend: (tag: string) => `trend-${tag}`,
} as const;
