import { activityLedgerDdl, activityLedgerTables } from '../activity-ledger.ts';

/**
 * Tables owned by the home-timeline read model (the source of truth; the timeline cache holds only
 * what can be rebuilt from them): its own copy of the follow graph, its own activity ledger
 * (every user's tweets and retweets), and per user the follower count and the celebrity flag that
 * decides push (fan-out on write) or pull (merge at read time). See docs/timelines.md.
 */
export const HOME_PREFIX = 'rm_home';
export const HOME_TIMELINE_NAME = 'home-timeline';
/**
 * Raised to 2 with the authors table and the fan-out to the timeline cache, to 3 with the
 * cached-users table (each a rebuild from 0, and new list ids: a new table must know every list).
 */
export const HOME_TIMELINE_VERSION = 3;

export const homeTables = {
  ...activityLedgerTables(HOME_PREFIX),
  follows: 'rm_home_follows',
  authors: 'rm_home_authors',
  cached: 'rm_home_cached',
} as const;
export const HOME_TIMELINE_TABLES = Object.values(homeTables);

export const homeTimelineDdl = [
  `CREATE TABLE IF NOT EXISTS ${homeTables.follows} (
     follower_id text NOT NULL,
     followee_id text NOT NULL,
     active      boolean NOT NULL,
     revision    integer NOT NULL,
     PRIMARY KEY (follower_id, followee_id)
   )`,
  `CREATE TABLE IF NOT EXISTS ${homeTables.authors} (
     user_id   text PRIMARY KEY,
     followers integer NOT NULL,
     celebrity boolean NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS ${homeTables.authors}_celebrities ON ${homeTables.authors} (user_id) WHERE celebrity`,
  // Users whose home list may be in the cache: committed before a rebuild stores one (rebuild.ts),
  // never removed. A superset of the cached home lists, so fan-out and threshold drops join it and
  // skip everyone who has never had a timeline built (most followers, and all of them during a
  // replay into a fresh cache).
  `CREATE TABLE IF NOT EXISTS ${homeTables.cached} (user_id text PRIMARY KEY)`,
  ...activityLedgerDdl(HOME_PREFIX),
];

/**
 * Read by the fan-out to the cache and by the SQL readers, never by the projection's writes
 * without a cache: reader indexes of the cache-less variant (projection.ts), so its replay — the
 * replica every replay builds — creates them once at the end instead of row by row.
 */
export const homeFanOutIndexes = [
  // Followers of an author: fan-out targets, threshold-crossing drops, fan-out on read.
  `CREATE INDEX IF NOT EXISTS ${homeTables.follows}_followee ON ${homeTables.follows} (followee_id, follower_id) WHERE active`,
  // The newest ledger entry: whether a post is newer than everything the cached lists hold.
  `CREATE INDEX IF NOT EXISTS ${homeTables.activity}_position ON ${homeTables.activity} (position)`,
];
