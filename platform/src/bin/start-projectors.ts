import { parseArgs } from 'node:util';
import { createProjections } from '@chirp/projectors/read-models/index';
import { startProjectors } from '@chirp/projectors/runtime';
import { loadConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import { runService } from '../process-lifecycle.ts';
import { openTimelineCache } from '../timeline.ts';

/** `npm run start:projectors [-- --only a,b]`: projector processes for the distributed topology, on PostgreSQL. */
runService('projectors', async (life) => {
  const { values } = await life.step('bad arguments', () => parseArgs({ options: { only: { type: 'string' } } }));
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const config = loadConfig(process.env, 'projectors');
  life.stopWithin(config.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const db = await life.step(`cannot open the database (${describeDatabase(config)})`, () => openDatabase(config));
  life.onStop(() => db.close());
  const timelines = await life.step('cannot open the timeline cache', () => openTimelineCache(config, db));
  life.onStop(() => timelines.close());
  const projections = createProjections({ homeTimeline: { cache: timelines.cache, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } });
  const host = await life.step('cannot start the projectors', () => startProjectors(db.store, db.executor, projections, only ? { only } : {}));
  life.onStop(() => host.stop());
  console.log(`projectors running: ${host.runners.map((r) => r.name).join(', ')} on ${db.description} (pid ${process.pid})`);
});
