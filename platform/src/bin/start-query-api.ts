import { loadConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import { runService } from '../process-lifecycle.ts';
import { startQueryApi, tokenServiceFor } from '../services.ts';
import { openTimelineCache } from '../timeline.ts';
import { startObservability } from '../observability.ts';

/** `npm run start:query-api`: the query API alone, on PostgreSQL (CHIRP_DATABASE_URL). */
runService('query-api', async (life) => {
  const config = loadConfig(process.env, 'query-api');
  life.stopWithin(config.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const { logger, metricsUrl } = await startObservability(life, config, 'query-api');
  const db = await life.step(`cannot open the database (${describeDatabase(config)})`, () => openDatabase(config));
  life.onStop(() => db.close());
  const timelines = await life.step('cannot open the timeline cache', () => openTimelineCache(config, db));
  life.onStop(() => timelines.close());
  const server = await life.step('cannot start the query API', () => startQueryApi(db, config, tokenServiceFor(config), { timelineCache: timelines.cache, logger }));
  life.onStop(() => server.close());
  console.log(`query API ${server.url} on ${db.description} (pid ${process.pid})${metricsUrl ? `, metrics ${metricsUrl}` : ''}`);
});
