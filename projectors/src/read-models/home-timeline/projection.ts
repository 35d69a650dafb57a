import { defineProjection } from '../../projection.ts';
import { activityLedgerHandlers } from '../activity-ledger.ts';
import { runDdl } from '../ddl.ts';
import { setMembership } from '../membership.ts';
import { HOME_PREFIX, HOME_TIMELINE_TABLES, homeTables, homeTimelineDdl } from './schema.ts';

export const homeTimelineProjection = defineProjection({
  name: 'home-timeline',
  version: 1,
  readsTables: HOME_TIMELINE_TABLES,
  setup: (db) => runDdl(db, homeTimelineDdl),
  on: {
    ...activityLedgerHandlers(HOME_PREFIX),
    async Followed(tx, e) {
      const pair = { follower_id: e.data.followerId, followee_id: e.data.followeeId };
      await setMembership(tx, homeTables.follows, pair, true, e.streamRevision);
    },
    async Unfollowed(tx, e) {
      const pair = { follower_id: e.data.followerId, followee_id: e.data.followeeId };
      await setMembership(tx, homeTables.follows, pair, false, e.streamRevision);
    },
  },
});
