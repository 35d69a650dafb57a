import { createProjections } from '@chirp/projectors/read-models/index';
import { startProjectors } from '@chirp/projectors/runtime';
import { observeProjections } from '@chirp/projectors/status/lag-metrics';
import { loadConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import type { RunningServer } from '../http-server.ts';
import { resolveOperatorAccess } from '../operator-account.ts';
import { runService } from '../process-lifecycle.ts';
import { startCommandApi, startQueryApi, tokenServiceFor } from '../services.ts';
import { startObservability } from '../observability.ts';
import { openTimelineCache } from '../timeline.ts';

/** `npm start`: command API, query API and every projector in one process. */
runService('chirp', async (life) => {
  const configured = loadConfig(process.env, 'all');
  life.stopWithin(configured.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const { logger, metricsUrl } = await startObservability(life, configured, 'all');
  const db = await life.step(`cannot open the database (${describeDatabase(configured)})`, () => openDatabase(configured));
  life.onStop(() => db.close());
  // Before anything listens: the default operator's handle is registered before anyone could take it.
  const operators = await life.step('cannot register the operator account', () => resolveOperatorAccess(db.store, configured));
  const config = operators.config;
  const tokens = await life.step('cannot read the JWT secret', () => tokenServiceFor(config));
  const timelines = await life.step('cannot open the timeline cache', () => openTimelineCache(config, db));
  life.onStop(() => timelines.close());
  const projections = createProjections({ homeTimeline: { cache: timelines.cache, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } });
  const projectors = await life.step('cannot start the projectors', () => startProjectors(db.store, db.executor, projections, { logger }));
  life.onStop(() => projectors.stop());
  if (metricsUrl) {
    const stopObserving = observeProjections(db.executor, db.store);
    life.onStop(async () => stopObserving());
  }
  // Both APIs stop together, so neither keeps accepting requests while the other drains.
  const servers: RunningServer[] = [];
  life.onStop(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const commandApi = await life.step('cannot start the command API', () => startCommandApi(db, config, tokens, logger));
  servers.push(commandApi);
  const queryApi = await life.step('cannot start the query API', () => startQueryApi(db, config, tokens, { timelineCache: timelines.cache, logger, dashboardCommandUrl: commandApi.url }));
  servers.push(queryApi);
  console.log(
    [
      `Chirp is running on ${db.description} (pid ${process.pid})`,
      `  command API  ${commandApi.url}`,
      `  query API    ${queryApi.url}`,
      `  projections  ${projections.map((p) => p.name).join(', ')} (status: ${queryApi.url}/v1/projections)`,
      `  timelines    ${timelines.description}`,
      `  dashboard    ${queryApi.url}/dashboard  (${operators.login})`,
      `  telemetry    ${metricsUrl ? `metrics ${metricsUrl}, traces per OTEL_* (docs/observability.md)` : 'off (docs/observability.md)'}`,
    ].join('\n'),
  );
});
