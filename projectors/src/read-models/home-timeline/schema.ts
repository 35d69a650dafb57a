/**
 * Tables owned by the home-timeline read model: its own copy of the follow graph and of every
 * user's activity (tweets and retweets). Fan-out happens on read.
 */
export const HOME_TIMELINE_TABLES = [
  'rm_home_follows',
  'rm_home_activity',
  'rm_home_retweets',
  'rm_home_tombstones',
] as const;

export const homeTimelineDdl = [
  `CREATE TABLE IF NOT EXISTS rm_home_follows (
     follower_id text NOT NULL,
     followee_id text NOT NULL,
     active      boolean NOT NULL,
     revision    integer NOT NULL,
     PRIMARY KEY (follower_id, followee_id)
   )`,
  // One row per visible tweet (kind 'tweet', actor = author) or live retweet (actor = retweeter).
  `CREATE TABLE IF NOT EXISTS rm_home_activity (
     actor_id  text NOT NULL,
     tweet_id  text NOT NULL,
     kind      text NOT NULL CHECK (kind IN ('tweet', 'retweet')),
     author_id text NOT NULL,
     position  bigint NOT NULL,
     PRIMARY KEY (actor_id, tweet_id, kind)
   )`,
  `CREATE INDEX IF NOT EXISTS rm_home_activity_actor ON rm_home_activity (actor_id, position DESC)`,
  `CREATE INDEX IF NOT EXISTS rm_home_activity_tweet ON rm_home_activity (tweet_id)`,
  `CREATE TABLE IF NOT EXISTS rm_home_retweets (
     tweet_id text NOT NULL,
     user_id  text NOT NULL,
     active   boolean NOT NULL,
     revision integer NOT NULL,
     PRIMARY KEY (tweet_id, user_id)
   )`,
  `CREATE TABLE IF NOT EXISTS rm_home_tombstones (tweet_id text PRIMARY KEY)`,
];
