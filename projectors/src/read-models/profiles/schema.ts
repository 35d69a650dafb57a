/** Tables owned by the profiles read model. */
export const PROFILES_TABLES = ['rm_profiles_users', 'rm_profiles_counts', 'rm_profiles_follows', 'rm_profiles_tweets'] as const;

/**
 * Raised to 2 when the counters moved out of the user rows into `rm_profiles_counts`: a counter
 * then moves by its delta whether or not the user's registration has arrived yet, so nothing has
 * to count the membership tables at registration and they need no secondary index.
 */
export const PROFILES_VERSION = 2;

export const profilesDdl = [
  `CREATE TABLE IF NOT EXISTS rm_profiles_users (
     user_id          text PRIMARY KEY,
     handle           text NOT NULL,
     handle_lower     text NOT NULL,
     display_name     text NOT NULL,
     bio              text NOT NULL DEFAULT '',
     created_at       timestamptz NOT NULL,
     profile_revision integer NOT NULL
   )`,
  // Net counter moves per user id, registered or not yet. Narrow rows with room on each page, so
  // the frequent counter updates are HOT (no index entry per update).
  `CREATE TABLE IF NOT EXISTS rm_profiles_counts (
     user_id         text PRIMARY KEY,
     followers_count integer NOT NULL DEFAULT 0,
     following_count integer NOT NULL DEFAULT 0,
     tweets_count    integer NOT NULL DEFAULT 0
   ) WITH (fillfactor = 70)`,
  // Follow membership (active = currently following); guards both counters.
  `CREATE TABLE IF NOT EXISTS rm_profiles_follows (
     follower_id text NOT NULL,
     followee_id text NOT NULL,
     active      boolean NOT NULL,
     revision    integer NOT NULL,
     PRIMARY KEY (follower_id, followee_id)
   )`,
  // Tweet membership with tombstones (deleted = true); guards tweets_count.
  `CREATE TABLE IF NOT EXISTS rm_profiles_tweets (
     tweet_id  text PRIMARY KEY,
     author_id text NOT NULL,
     deleted   boolean NOT NULL
   )`,
];

/**
 * Lookup by handle is the readers' alone. Not UNIQUE: the command side already makes handles
 * unique (reservation streams), and a read model that re-checks it could only stall on it.
 */
export const profilesReaderIndexes = [`CREATE INDEX IF NOT EXISTS rm_profiles_users_handle ON rm_profiles_users (handle_lower)`];
