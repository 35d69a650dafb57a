/** Tables owned by the profiles read model. */
export const PROFILES_TABLES = ['rm_profiles_users', 'rm_profiles_follows', 'rm_profiles_tweets'] as const;

export const profilesDdl = [
  `CREATE TABLE IF NOT EXISTS rm_profiles_users (
     user_id          text PRIMARY KEY,
     handle           text NOT NULL,
     handle_lower     text NOT NULL UNIQUE,
     display_name     text NOT NULL,
     bio              text NOT NULL DEFAULT '',
     created_at       timestamptz NOT NULL,
     profile_revision integer NOT NULL,
     followers_count  integer NOT NULL DEFAULT 0,
     following_count  integer NOT NULL DEFAULT 0,
     tweets_count     integer NOT NULL DEFAULT 0
   )`,
  // Follow membership (active = currently following); guards both counters.
  `CREATE TABLE IF NOT EXISTS rm_profiles_follows (
     follower_id text NOT NULL,
     followee_id text NOT NULL,
     active      boolean NOT NULL,
     revision    integer NOT NULL,
     PRIMARY KEY (follower_id, followee_id)
   )`,
  `CREATE INDEX IF NOT EXISTS rm_profiles_follows_followee ON rm_profiles_follows (followee_id) WHERE active`,
  // Tweet membership with tombstones (deleted = true); guards tweets_count.
  `CREATE TABLE IF NOT EXISTS rm_profiles_tweets (
     tweet_id  text PRIMARY KEY,
     author_id text NOT NULL,
     deleted   boolean NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS rm_profiles_tweets_author ON rm_profiles_tweets (author_id) WHERE NOT deleted`,
];
