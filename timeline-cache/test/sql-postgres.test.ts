import { openPgExecutor, type SqlExecutor } from '@chirp/event-store';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { describeTimelineCacheContract } from './contract.ts';
import { describeSqlSpecifics, fakeClockCache } from './sql-specifics.ts';

let database: TestDatabase;
let executor: SqlExecutor;
beforeAll(async () => {
  database = await createTestDatabase('timeline_cache');
  executor = await openPgExecutor(database.url, { maxConnections: 10 });
});
afterAll(async () => {
  await executor?.close();
  await database?.drop();
});

describeTimelineCacheContract('SQL on PostgreSQL', (options) => fakeClockCache(executor, options));
describeSqlSpecifics('PostgreSQL', () => executor);
