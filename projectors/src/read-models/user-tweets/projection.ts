import { defineProjection } from '../../projection.ts';
import { activityLedgerHandlers } from '../activity-ledger.ts';
import { runDdl } from '../../ddl.ts';
import { USER_TWEETS_PREFIX, USER_TWEETS_TABLES, userTweetsDdl } from './schema.ts';

export const userTweetsProjection = defineProjection({
  name: 'user-tweets',
  version: 1,
  readsTables: USER_TWEETS_TABLES,
  setup: (db) => runDdl(db, userTweetsDdl),
  on: activityLedgerHandlers(USER_TWEETS_PREFIX),
});
