import { openPgliteExecutor, type SqlExecutor } from '@chirp/event-store';
import { afterAll, beforeAll } from 'vitest';
import { describeTimelineCacheContract } from './contract.ts';
import { describeSqlSpecifics, fakeClockCache } from './sql-specifics.ts';

// One in-memory PGlite for the file (opening one costs seconds).
let executor: SqlExecutor;
beforeAll(async () => {
  executor = await openPgliteExecutor('memory://');
});
afterAll(async () => {
  await executor?.close();
});

describeTimelineCacheContract('SQL on PGlite', (options) => fakeClockCache(executor, options));
describeSqlSpecifics('PGlite', () => executor);
