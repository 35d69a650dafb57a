import { activityLedgerDdl, activityLedgerTables } from '../activity-ledger.ts';

/** The user-tweets read model is an activity ledger: a user's own tweets and retweets. */
export const USER_TWEETS_PREFIX = 'rm_user_tweets';
export const userTweetsTables = activityLedgerTables(USER_TWEETS_PREFIX);
export const USER_TWEETS_TABLES = Object.values(userTweetsTables);
export const userTweetsDdl = activityLedgerDdl(USER_TWEETS_PREFIX);
