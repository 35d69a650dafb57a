/** Tables owned by the user-tweets read model (a user's own tweets and retweets). */
export const USER_TWEETS_TABLES = ['rm_user_tweets_entries', 'rm_user_tweets_retweets', 'rm_user_tweets_tombstones'] as const;

export const userTweetsDdl = [
  `CREATE TABLE IF NOT EXISTS rm_user_tweets_entries (
     user_id    text NOT NULL,
     tweet_id   text NOT NULL,
     kind       text NOT NULL CHECK (kind IN ('tweet', 'retweet')),
     position   bigint NOT NULL,
     created_at timestamptz NOT NULL,
     PRIMARY KEY (user_id, tweet_id, kind)
   )`,
  `CREATE INDEX IF NOT EXISTS rm_user_tweets_entries_page ON rm_user_tweets_entries (user_id, position DESC)`,
  `CREATE INDEX IF NOT EXISTS rm_user_tweets_entries_tweet ON rm_user_tweets_entries (tweet_id)`,
  `CREATE TABLE IF NOT EXISTS rm_user_tweets_retweets (
     tweet_id text NOT NULL,
     user_id  text NOT NULL,
     active   boolean NOT NULL,
     revision integer NOT NULL,
     PRIMARY KEY (tweet_id, user_id)
   )`,
  `CREATE TABLE IF NOT EXISTS rm_user_tweets_tombstones (tweet_id text PRIMARY KEY)`,
];
