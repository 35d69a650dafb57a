/**
 * Stream naming. One place decides which events share a stream, because a stream is the unit of
 * consistency: a decider sees exactly one stream's history.
 *
 * Likes and retweets live in one small stream per (tweet, user) pair rather than in the tweet's
 * stream: a popular tweet would otherwise need millions of events folded to decide one like.
 */
export const streams = {
  handle: (handle: string) => `handle-${handle.toLowerCase()}`,
  user: (userId: string) => `user-${userId}`,
  tweet: (tweetId: string) => `tweet-${tweetId}`,
  engagement: (tweetId: string, userId: string) => `engagement-${tweetId}-${userId}`,
} as const;
