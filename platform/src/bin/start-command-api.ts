import { loadConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import { runService } from '../process-lifecycle.ts';
import { startCommandApi, tokenServiceFor } from '../services.ts';
import { startObservability } from '../observability.ts';

/** `npm run start:command-api`: the command API alone, on PostgreSQL (CHIRP_DATABASE_URL). */
runService('command-api', async (life) => {
  const config = loadConfig(process.env, 'command-api');
  life.stopWithin(config.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const { logger, metricsUrl } = await startObservability(life, config, 'command-api');
  const db = await life.step(`cannot open the database (${describeDatabase(config)})`, () => openDatabase(config));
  life.onStop(() => db.close());
  const server = await life.step('cannot start the command API', () => startCommandApi(db, config, tokenServiceFor(config), logger));
  life.onStop(() => server.close());
  console.log(`command API ${server.url} on ${db.description} (pid ${process.pid})${metricsUrl ? `, metrics ${metricsUrl}` : ''}`);
});
