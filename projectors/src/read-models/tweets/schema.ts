/** Tables owned by the tweets read model. */
export const TWEETS_TABLES = ['rm_tweets_tweets', 'rm_tweets_likes', 'rm_tweets_retweets', 'rm_tweets_tombstones'] as const;

export const tweetsDdl = [
  `CREATE TABLE IF NOT EXISTS rm_tweets_tweets (
     tweet_id          text PRIMARY KEY,
     author_id         text NOT NULL,
     text              text NOT NULL,
     reply_to_tweet_id text,
     hashtags          text[] NOT NULL,
     mentions          text[] NOT NULL,
     created_at        timestamptz NOT NULL,
     position          bigint NOT NULL,
     like_count        integer NOT NULL DEFAULT 0,
     retweet_count     integer NOT NULL DEFAULT 0
   )`,
  // Engagement membership, revision-guarded (see membership.ts); guards the two counters.
  `CREATE TABLE IF NOT EXISTS rm_tweets_likes (
     tweet_id text NOT NULL,
     user_id  text NOT NULL,
     active   boolean NOT NULL,
     revision integer NOT NULL,
     PRIMARY KEY (tweet_id, user_id)
   )`,
  `CREATE TABLE IF NOT EXISTS rm_tweets_retweets (
     tweet_id text NOT NULL,
     user_id  text NOT NULL,
     active   boolean NOT NULL,
     revision integer NOT NULL,
     PRIMARY KEY (tweet_id, user_id)
   )`,
  // Deleted tweets: a later TweetPosted redelivery or a late like/retweet cannot resurrect them.
  `CREATE TABLE IF NOT EXISTS rm_tweets_tombstones (
     tweet_id   text PRIMARY KEY,
     deleted_at timestamptz NOT NULL
   )`,
];
