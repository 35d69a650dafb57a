import { activityLedgerDdl, activityLedgerTables } from '../activity-ledger.ts';

/**
 * Tables owned by the home-timeline read model (the source of truth; the timeline cache holds only
 * what can be rebuilt from them): its own copy of the follow graph, its own activity ledger
 * (every user's tweets and retweets), and per user the follower count and the celebrity flag that
 * decides push (fan-out on write) or pull (merge at read time). See docs/timelines.md.
 */
export const HOME_PREFIX = 'rm_home';
export const HOME_TIMELINE_NAME = 'home-timeline';
/** Raised to 2 with the authors table and the fan-out to the timeline cache (a rebuild from 0). */
export const HOME_TIMELINE_VERSION = 2;

export const homeTables = {
  ...activityLedgerTables(HOME_PREFIX),
  follows: 'rm_home_follows',
  authors: 'rm_home_authors',
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
  // Followers of an author: fan-out targets and threshold-crossing drops.
  `CREATE INDEX IF NOT EXISTS ${homeTables.follows}_followee ON ${homeTables.follows} (followee_id, follower_id) WHERE active`,
  `CREATE TABLE IF NOT EXISTS ${homeTables.authors} (
     user_id   text PRIMARY KEY,
     followers integer NOT NULL,
     celebrity boolean NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS ${homeTables.authors}_celebrities ON ${homeTables.authors} (user_id) WHERE celebrity`,
  ...activityLedgerDdl(HOME_PREFIX),
];
