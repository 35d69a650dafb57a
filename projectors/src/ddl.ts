import type { SqlQueryable } from '@chirp/event-store/sql/executor';

/** Runs DDL statements one by one (PGlite's extended protocol takes one statement per query). */
export async function runDdl(db: SqlQueryable, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await db.query(statement);
}
