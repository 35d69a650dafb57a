import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqlEventStore, openPgExecutor, openPgliteExecutor, tracedEventStore } from '@chirp/event-store';
import { createProjections } from '@chirp/projectors/read-models/index';
import { startProjectors } from '@chirp/projectors/runtime';
import { ConfigSchema } from '@chirp/platform/config';
import type { Database } from '@chirp/platform/database';
import { startCommandApi, startQueryApi, tokenServiceFor } from '@chirp/platform/services';
import { openTimelineCache } from '@chirp/platform/timeline';
import { createTestDatabase } from './database.ts';

export interface TestSystem {
  commandUrl: string;
  queryUrl: string;
  db: Database;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** Sees every SQL statement the query API sends (the real database still runs it): for tests that count them. */
  observeQuerySql?: (text: string) => void;
}

/**
 * The whole of Chirp in this process, as `npm start` runs it, on real HTTP ports (chosen by the
 * OS) and a real database: a fresh PostgreSQL database or an in-memory PGlite.
 */
export async function startTestSystem(engine: 'postgres' | 'pglite', env: Record<string, string> = {}, options: TestSystemOptions = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chirp-test-'));
  const config = ConfigSchema.parse({
    CHIRP_DATA_DIR: dataDir,
    CHIRP_HOST: '127.0.0.1',
    CHIRP_COMMAND_PORT: '0',
    CHIRP_QUERY_PORT: '0',
    CHIRP_JWT_SECRET: 'test-secret-test-secret-test-secret-123',
    CHIRP_CONSISTENCY_WAIT_MS: '5000',
    ...env,
  });
  const testDb = engine === 'postgres' ? await createTestDatabase('system') : undefined;
  const executor = testDb ? await openPgExecutor(testDb.url) : await openPgliteExecutor('memory://');
  // Traced as in production (platform/src/database.ts): appends are spans once a test starts the SDK.
  const store = tracedEventStore(await createSqlEventStore(executor, { pollIntervalMs: 200 }));
  const db: Database = {
    executor,
    store,
    description: engine,
    async close() {
      await store.close();
      await executor.close();
    },
  };
  const tokens = tokenServiceFor(config);
  const timelines = await openTimelineCache(config, db);
  const projections = createProjections({ homeTimeline: { cache: timelines.cache, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } });
  const projectors = await startProjectors(store, executor, projections);
  const commandApi = await startCommandApi(db, config, tokens);
  const observe = options.observeQuerySql;
  const queryDb: Database = observe
    ? {
        ...db,
        executor: {
          ...executor,
          query: (text, params) => {
            observe(text);
            return executor.query(text, params);
          },
        },
      }
    : db;
  const queryApi = await startQueryApi(queryDb, config, tokens, { timelineCache: timelines.cache });
  return {
    commandUrl: commandApi.url,
    queryUrl: queryApi.url,
    db,
    async stop() {
      await Promise.all([commandApi.close(), queryApi.close()]);
      await projectors.stop();
      await timelines.close();
      await db.close();
      await testDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
