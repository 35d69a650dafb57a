import { activityLedgerDdl, activityLedgerTables } from '../activity-ledger.ts';

/**
 * Tables owned by the home-timeline read model: its own copy of the follow graph and its own
 * activity ledger (every user's tweets and retweets). Fan-out happens on read.
 */
export const HOME_PREFIX = 'rm_home';
export const homeTables = { ...activityLedgerTables(HOME_PREFIX), follows: 'rm_home_follows' } as const;
export const HOME_TIMELINE_TABLES = Object.values(homeTables);

export const homeTimelineDdl = [
  `CREATE TABLE IF NOT EXISTS ${homeTables.follows} (
     follower_id text NOT NULL,
     followee_id text NOT NULL,
     active      boolean NOT NULL,
     revision    integer NOT NULL,
     PRIMARY KEY (follower_id, followee_id)
   )`,
  ...activityLedgerDdl(HOME_PREFIX),
];
