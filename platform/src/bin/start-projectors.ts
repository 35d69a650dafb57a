import { parseArgs } from 'node:util';
import { createProjections } from '@chirp/projectors/read-models/index';
import { startKafkaProjectors } from '@chirp/projectors/feeds/kafka-projectors';
import { startProjectors } from '@chirp/projectors/runtime';
import { loadConfig, loadKafkaFeedConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import { runService } from '../process-lifecycle.ts';
import { openTimelineCache } from '../timeline.ts';
import { startObservability } from '../observability.ts';
import { observeProjections } from '@chirp/projectors/status/lag-metrics';

/**
 * `npm run start:projectors [-- --only a,b]`: projector processes for the distributed topology, on
 * PostgreSQL. CHIRP_FEED=kafka: each projection consumes the relay's topic (its own consumer
 * group) instead of subscribing to the event store; docs/event-bus.md.
 */
runService('projectors', async (life) => {
  const { values } = await life.step('bad arguments', () => parseArgs({ options: { only: { type: 'string' } } }));
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const config = loadConfig(process.env, 'projectors');
  life.stopWithin(config.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const { logger, metricsUrl } = await startObservability(life, config, 'projectors');
  const db = await life.step(`cannot open the database (${describeDatabase(config)})`, () => openDatabase(config));
  life.onStop(() => db.close());
  const timelines = await life.step('cannot open the timeline cache', () => openTimelineCache(config, db));
  life.onStop(() => timelines.close());
  if (metricsUrl) {
    const stopObserving = observeProjections(db.executor, db.store);
    life.onStop(async () => stopObserving());
  }
  const metricsNote = metricsUrl ? `, metrics ${metricsUrl}` : '';
  const projections = createProjections({ homeTimeline: { cache: timelines.cache, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } });
  if (config.CHIRP_FEED === 'kafka') {
    const kafka = loadKafkaFeedConfig(process.env);
    const host = await life.step(`cannot start the projectors on Kafka (${kafka.brokers.join(', ')})`, () =>
      // kafkajs's warnings as JSON lines on stdout, as the relay logs them; stderr keeps the failure line.
      startKafkaProjectors(db.executor, projections, { ...kafka, log: (line) => console.log(JSON.stringify(line)), logger, ...(only ? { only } : {}) }),
    );
    life.onStop(() => host.stop());
    console.log(
      `projectors running: ${host.consumers.map((c) => c.name).join(', ')} on ${db.description}, fed by Kafka topic ${kafka.topic} (pid ${process.pid})${metricsNote}`,
    );
    return;
  }
  const host = await life.step('cannot start the projectors', () => startProjectors(db.store, db.executor, projections, { logger, ...(only ? { only } : {}) }));
  life.onStop(() => host.stop());
  console.log(`projectors running: ${host.runners.map((r) => r.name).join(', ')} on ${db.description} (pid ${process.pid})${metricsNote}`);
});
