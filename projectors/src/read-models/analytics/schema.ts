/**
 * The analytics read model (docs/analytics.md): one fact row per event that analysts count —
 * keyed by the event's position, so a redelivered event is a no-op and a replay rebuilds the same
 * rows — and plain views over it, queryable with plain SQL. Event time (`occurredAt`) decides
 * the hour and the day. Handles come from the model's own user table.
 */
export const ANALYTICS_NAME = 'analytics';
export const ANALYTICS_VERSION = 1;

export const analyticsTables = {
  facts: 'analytics_facts',
  users: 'analytics_users',
} as const;
export const ANALYTICS_TABLES = Object.values(analyticsTables);

/** The kinds of fact: one per counted event type. */
export const FACT_KINDS = ['registration', 'post', 'delete', 'retweet', 'unretweet', 'like', 'unlike', 'follow', 'unfollow'] as const;
export type FactKind = (typeof FACT_KINDS)[number];

export const analyticsViews = {
  activityHourly: 'analytics_activity_hourly',
  activeAuthorsDaily: 'analytics_active_authors_daily',
  authorEngagementDaily: 'analytics_author_engagement_daily',
  tweetEngagementDaily: 'analytics_tweet_engagement_daily',
  followerGrowthDaily: 'analytics_follower_growth_daily',
} as const;

const f = analyticsTables.facts;
const count = (kind: FactKind, as: string) => `count(*) FILTER (WHERE kind = '${kind}') AS ${as}`;
const net = (plus: FactKind, minus: FactKind) => `count(*) FILTER (WHERE kind = '${plus}') - count(*) FILTER (WHERE kind = '${minus}')`;

export const analyticsDdl = [
  `CREATE TABLE IF NOT EXISTS ${f} (
     position       bigint PRIMARY KEY,
     kind           text NOT NULL,
     occurred_at    timestamptz NOT NULL,
     actor_id       text NOT NULL,
     target_user_id text,
     tweet_id       text
   )`,
  `CREATE TABLE IF NOT EXISTS ${analyticsTables.users} (
     user_id       text PRIMARY KEY,
     handle        text NOT NULL,
     registered_at timestamptz NOT NULL
   )`,
  // Views are replaced on every start-up, so a changed definition takes effect without a rebuild.
  `CREATE OR REPLACE VIEW ${analyticsViews.activityHourly} AS
   SELECT date_trunc('hour', occurred_at, 'UTC') AS hour,
          ${count('post', 'posts')}, ${count('retweet', 'retweets')}, ${count('like', 'likes')},
          ${count('follow', 'follows')}, ${count('registration', 'new_users')}
     FROM ${f} GROUP BY 1`,
  `CREATE OR REPLACE VIEW ${analyticsViews.activeAuthorsDaily} AS
   SELECT date_trunc('day', occurred_at, 'UTC') AS day, count(DISTINCT actor_id) AS authors
     FROM ${f} WHERE kind = 'post' GROUP BY 1`,
  `CREATE OR REPLACE VIEW ${analyticsViews.authorEngagementDaily} AS
   SELECT date_trunc('day', occurred_at, 'UTC') AS day, target_user_id AS author_id,
          ${net('like', 'unlike')} AS likes, ${net('retweet', 'unretweet')} AS retweets,
          ${net('like', 'unlike')} + ${net('retweet', 'unretweet')} AS engagement
     FROM ${f} WHERE kind IN ('like', 'unlike', 'retweet', 'unretweet') GROUP BY 1, 2`,
  `CREATE OR REPLACE VIEW ${analyticsViews.tweetEngagementDaily} AS
   SELECT date_trunc('day', occurred_at, 'UTC') AS day, tweet_id, target_user_id AS author_id,
          ${net('like', 'unlike')} AS likes, ${net('retweet', 'unretweet')} AS retweets,
          ${net('like', 'unlike')} + ${net('retweet', 'unretweet')} AS engagement
     FROM ${f} WHERE kind IN ('like', 'unlike', 'retweet', 'unretweet') GROUP BY 1, 2, 3`,
  `CREATE OR REPLACE VIEW ${analyticsViews.followerGrowthDaily} AS
   SELECT day, user_id, gained, lost, gained - lost AS net,
          sum(gained - lost) OVER (PARTITION BY user_id ORDER BY day) AS followers
     FROM (SELECT date_trunc('day', occurred_at, 'UTC') AS day, target_user_id AS user_id,
                  ${count('follow', 'gained')}, ${count('unfollow', 'lost')}
             FROM ${f} WHERE kind IN ('follow', 'unfollow') GROUP BY 1, 2) d`,
];

/** The facts' secondary indexes serve readers only (the writer appends by position): built after a replay's catch-up. */
export const analyticsReaderIndexes = [
  `CREATE INDEX IF NOT EXISTS ${f}_time ON ${f} (occurred_at)`,
  `CREATE INDEX IF NOT EXISTS ${f}_target ON ${f} (target_user_id, occurred_at) WHERE target_user_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS ${f}_actor ON ${f} (actor_id, occurred_at)`,
];
