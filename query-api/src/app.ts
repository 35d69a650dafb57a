import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { Handle } from '@chirp/domain';
import type { EventStore, SqlQueryable } from '@chirp/event-store';
import type { Logger } from '@chirp/telemetry';
import { createJsonApp, loggerErrorLog, notFound, parseParams, parseQuery, principalOf, problemHandler, ProblemError, requireAuth, type TokenService } from '@chirp/http-kit';
import { InvalidCursorError } from '@chirp/projectors/cursor';
import { PulledPages } from '@chirp/projectors/read-models/home-timeline/pulled-pages';
import { readHomeTimeline, type HomeTimelineReaderDeps } from '@chirp/projectors/read-models/home-timeline/reader';
import { getProfileByHandle } from '@chirp/projectors/read-models/profiles/reader';
import { searchTweets, searchUsers } from '@chirp/projectors/read-models/search/reader';
import { readTrends } from '@chirp/projectors/read-models/trends/reader';
import { analyticsOverview, userAnalytics } from '@chirp/projectors/read-models/analytics/reader';
import { EmptySearchError, parseSearchQuery, type SearchQuery } from '@chirp/projectors/read-models/search/search-query';
import { listUserTweets } from '@chirp/projectors/read-models/user-tweets/reader';
import { readProjectionStatuses } from '@chirp/projectors/status/reader';
import { CheckpointWatcher } from './checkpoint-watcher.ts';
import { dashboardRoutes, type DashboardOptions } from './dashboard-routes.ts';
import { operatorEvents } from './operator-events.ts';
import { awaitProjections } from './consistency.ts';
import { parsePage, parseSearch } from './pagination.ts';
import { createHydrator, fillPage, hydrateTweets, type TweetPage } from './presenters.ts';
import { isOperator, optionalPrincipal, redactStatus } from './projection-status.ts';

export interface QueryApiOptions {
  db: SqlQueryable;
  store: EventStore;
  tokens: TokenService;
  consistencyWaitMs: number;
  /** How often read-your-writes waits re-read the checkpoints while someone waits; default 15 ms. */
  consistencyPollMs?: number;
  /** The home timeline's cache and database (docs/timelines.md); without it the timeline is served from SQL. */
  homeTimeline?: HomeTimelineReaderDeps;
  /**
   * How long hydration may serve a tweet or profile record from memory (record-cache.ts): the
   * staleness bound of counts and names for reads that do not ask for a position. 0: always SQL.
   */
  recordCacheMs?: number;
  /**
   * How long a page of a celebrity's list merged into home timelines is served from memory
   * (pulled-pages.ts): how much later than fan-out a celebrity's post may show. 0: always Redis.
   */
  pulledListCacheMs?: number;
  /** Distinct authors a hashtag needs in the window to trend (CHIRP_TREND_MIN_AUTHORS); default 5. */
  trendMinAuthors?: number;
  /** The end of every trends window; default the wall clock. */
  clock?: () => number;
  /** One JSON line per request (and unexpected errors); default: none, errors on stderr. */
  logger?: Logger;
  /** Serves the operators' dashboard at /dashboard (dashboard-routes.ts); without it there is none. */
  dashboard?: DashboardOptions;
}

export interface QueryApi {
  app: Express;
  /**
   * Answers reads still waiting for a position at once (as stale), stops polling and ends every
   * open live event stream: call on shutdown.
   */
  close(): void;
}

// Which projections each endpoint reads: read-your-writes waits for exactly these.
const reads = {
  profile: ['profiles'],
  tweet: ['tweets', 'profiles'],
  userTweets: ['user-tweets', 'tweets', 'profiles'],
  timeline: ['home-timeline', 'tweets', 'profiles'],
  search: ['search', 'tweets', 'profiles'],
  userSearch: ['search', 'profiles'],
  trends: ['trends'],
  analytics: ['analytics'],
} as const;

const DAY_MS = 86_400_000;
/** ?from&to: ISO-8601 dates or times; default the last 7 days; at most a year. */
const RangeQuery = z
  .looseObject({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  })
  .transform((q, ctx) => {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 7 * DAY_MS;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    if (to - from > 366 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['from'], message: 'the range may span at most 366 days' });
    return { from, to };
  });

const TrendsQuery = z.looseObject({
  window: z.enum(['1h', '24h'], { error: 'must be 1h or 24h' }).default('1h'),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

const TweetParams = z.object({ id: z.uuid('must be a tweet id') });

/**
 * The handle in the path, or a 404: a string that is not a valid handle (too long, a NUL, a
 * space…) cannot belong to any user, and must not reach the database either.
 */
function handleParam(req: Request): string {
  const handle = String(req.params.handle);
  if (!Handle.safeParse(handle).success) throw new ProblemError(404, 'no such user');
  return handle;
}

export function createQueryApi(options: QueryApiOptions): QueryApi {
  const { db, store, tokens, consistencyWaitMs } = options;
  // Only GETs: no body parser.
  const app = createJsonApp(options.logger ? { logger: options.logger } : {});
  const watcher = new CheckpointWatcher(db, { intervalMs: options.consistencyPollMs ?? 15 });
  const consistent = (req: Request, res: Response, projections: readonly string[]) => awaitProjections(watcher, req, res, projections, consistencyWaitMs);
  const hydrator = createHydrator(db, { maxAgeMs: options.recordCacheMs ?? 0, maxEntries: 100_000 });
  const homeTimeline: HomeTimelineReaderDeps | SqlQueryable = options.homeTimeline
    ? { ...options.homeTimeline, pulledPages: new PulledPages({ maxAgeMs: options.pulledListCacheMs ?? 0 }) }
    : db;

  app.get('/healthz', async (_req, res) => {
    await db.query('SELECT 1');
    res.json({ status: 'ok' });
  });

  app.get('/v1/users/:handle', async (req, res) => {
    const handle = handleParam(req);
    await consistent(req, res, reads.profile);
    const profile = await getProfileByHandle(db, handle);
    if (!profile) throw new ProblemError(404, `no user @${handle}`);
    res.json(profile);
  });

  app.get('/v1/users/:handle/tweets', async (req, res) => {
    const handle = handleParam(req);
    const page = parsePage(req.query);
    const covers = await consistent(req, res, reads.userTweets);
    const profile = await getProfileByHandle(db, handle);
    if (!profile) throw new ProblemError(404, `no user @${handle}`);
    sendPage(res, await withCursorErrors(() => fillPage(hydrator, covers, page.limit, page.cursor, (limit, cursor) => listUserTweets(db, profile.userId, { limit, cursor }))));
  });

  app.get('/v1/tweets/:id', async (req, res) => {
    const { id } = parseParams(TweetParams, req.params);
    const covers = await consistent(req, res, reads.tweet);
    const [tweet] = await hydrateTweets(hydrator, [{ tweetId: id }], covers);
    if (!tweet) throw new ProblemError(404, 'tweet not found');
    res.json(tweet);
  });

  app.get('/v1/timeline', requireAuth(tokens), async (req, res) => {
    const { userId } = principalOf(res);
    const page = parsePage(req.query);
    const covers = await consistent(req, res, reads.timeline);
    sendPage(res, await withCursorErrors(() => fillPage(hydrator, covers, page.limit, page.cursor, (limit, cursor) => readHomeTimeline(homeTimeline, userId, { limit, cursor, covers }))));
  });

  // Tweets matching words, #tags and @handles (docs/read-models.md), relevance blended with recency.
  app.get('/v1/search', async (req, res) => {
    const request = parseSearch(req.query);
    const query = searchQueryOf(request.q);
    const covers = await consistent(req, res, reads.search);
    sendPage(res, await withCursorErrors(() => fillPage(hydrator, covers, request.limit, request.cursor, (limit, cursor) => searchTweets(db, query, { limit, cursor }))));
  });

  // Users by handle prefix, display name, or a near miss of either (pg_trgm).
  app.get('/v1/search/users', async (req, res) => {
    const request = parseSearch(req.query);
    const covers = await consistent(req, res, reads.userSearch);
    const ids = await searchUsers(db, request.q, { limit: request.limit });
    const profiles = await hydrator.profiles.getMany(ids, covers);
    res.json({ items: ids.flatMap((id) => profiles.get(id) ?? []) });
  });

  // Rising hashtags (docs/read-models.md): windows end now, by event time.
  app.get('/v1/trends', async (req, res) => {
    const { window, limit } = parseQuery(TrendsQuery, req.query);
    await consistent(req, res, reads.trends);
    const now = (options.clock ?? Date.now)();
    const items = await readTrends(db, { window, now, limit, minAuthors: options.trendMinAuthors ?? 5 });
    res.json({ window, asOf: new Date(now).toISOString(), items });
  });

  // Analysts' common views (docs/analytics.md has the SQL behind them and more).
  app.get('/v1/analytics/overview', async (req, res) => {
    const range = parseQuery(RangeQuery, req.query);
    await consistent(req, res, reads.analytics);
    res.json({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), ...(await analyticsOverview(db, range)) });
  });

  app.get('/v1/analytics/users/:handle', async (req, res) => {
    const handle = handleParam(req);
    const range = parseQuery(RangeQuery, req.query);
    await consistent(req, res, reads.analytics);
    const user = await userAnalytics(db, handle, range);
    if (!user) throw new ProblemError(404, `no user @${handle}`);
    res.json({ from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), ...user });
  });

  app.get('/v1/projections', async (req, res) => {
    const full = isOperator(await optionalPrincipal(req, tokens));
    const statuses = await readProjectionStatuses(db, store);
    res.json({ items: full ? statuses : statuses.map(redactStatus), headPosition: await store.headPosition() });
  });

  const operator = operatorEvents({ store, db, tokens, ...(options.clock ? { clock: options.clock } : {}) });
  app.use(operator.router);
  if (options.dashboard) app.use(dashboardRoutes(options.dashboard));

  app.use(notFound);
  app.use(problemHandler(options.logger ? loggerErrorLog(options.logger) : undefined));
  return {
    app,
    close: () => {
      watcher.close();
      operator.close();
    },
  };
}

function searchQueryOf(q: string): SearchQuery {
  try {
    return parseSearchQuery(q);
  } catch (error) {
    if (error instanceof EmptySearchError)
      throw new ProblemError(400, 'the request is not valid', { errors: [{ pointer: '#/query/q', detail: 'has no words, #hashtags or @handles to search for' }] });
    throw error;
  }
}

/** res.json(page), with the body built from the page's kept JSON texts. */
function sendPage(res: Response, page: TweetPage): void {
  res.type('application/json').send(page.json());
}

async function withCursorErrors<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new ProblemError(400, 'the request is not valid', { errors: [{ pointer: '#/query/cursor', detail: 'is not a cursor this list issued' }] });
    throw error;
  }
}
