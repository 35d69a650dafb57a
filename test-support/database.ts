import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabaseOn, type ServerDatabase } from './server-database.ts';

export type TestDatabase = ServerDatabase;

/** A fresh, empty database on the run's PostgreSQL server, for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `chirp_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  return createDatabaseOn(inject('databaseUrl'), name);
}
