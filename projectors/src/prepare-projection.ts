import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';
import { CHECKPOINT_TABLE, ensureCheckpointTable, readCheckpoint } from './checkpoints.ts';
import type { Projection } from './projection.ts';
import { runDdl } from './ddl.ts';

export class ProjectionVersionError extends Error {
  constructor(projection: string, stored: number, running: number) {
    super(`projection ${projection} is at version ${stored} in the database, newer than this code's version ${running}`);
    this.name = 'ProjectionVersionError';
  }
}

const SETUP_LOCK = 'chirp:projectors:setup';

/** Serialises projection set-up DDL across processes, until the transaction ends. */
export async function holdSetupLock(tx: SqlQueryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [SETUP_LOCK]);
}

/** The projection's tables (`setup`) and, unless `readerIndexes` is false, its reader indexes. */
export async function setUpTables(db: SqlQueryable, projection: Projection, options: { readerIndexes: boolean }): Promise<void> {
  await projection.setup(db);
  if (options.readerIndexes) await runDdl(db, projection.readerIndexes ?? []);
}

/**
 * Creates the checkpoint table and the projection's tables, and its checkpoint row. When the
 * stored version is older than the code's, the owned tables are dropped and rebuilt from 0.
 * Serialised across processes by a transaction-scoped advisory lock. Returns the start position.
 * The row's state becomes 'catching_up'; the runner moves it on once it has read the store.
 * A replay's shadow passes `readerIndexes: false` and builds them after its catch-up.
 */
export async function prepareProjection(executor: SqlExecutor, projection: Projection, options = { readerIndexes: true }): Promise<number> {
  return executor.transaction(async (tx) => {
    await holdSetupLock(tx);
    await ensureCheckpointTable(tx);
    const row = await readCheckpoint(tx, projection.name, true);
    if (row && row.version > projection.version) {
      throw new ProjectionVersionError(projection.name, row.version, projection.version);
    }
    const rebuild = row !== null && row.version < projection.version;
    if (rebuild) {
      for (const table of projection.readsTables ?? []) await tx.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    }
    await setUpTables(tx, projection, options);
    if (!row) {
      await tx.query(
        `INSERT INTO projection_checkpoints (name, version, position, state) VALUES ($1, $2, 0, 'catching_up')
         ON CONFLICT (name) DO NOTHING`,
        [projection.name, projection.version],
      );
      return 0;
    }
    if (rebuild) {
      await tx.query(
        `UPDATE projection_checkpoints
            SET version = $2, position = 0, applied_total = 0, state = 'catching_up', events_per_second = 0,
                last_error = NULL, error_kind = NULL, error_position = NULL, error_at = NULL, updated_at = now()
          WHERE name = $1`,
        [projection.name, projection.version],
      );
      return 0;
    }
    await tx.query(`UPDATE projection_checkpoints SET state = 'catching_up', updated_at = now() WHERE name = $1`, [
      projection.name,
    ]);
    return row.position;
  });
}

/**
 * Whether the database holds this projection at an older version: then the runner rebuilds it
 * beside the old tables and switches (replay/replay-projection.ts) instead of dropping them first,
 * so reads are served from the old tables until the new ones are complete.
 */
export async function hasOlderVersion(executor: SqlExecutor, projection: Projection): Promise<boolean> {
  const { rows } = await executor.query<{ present: boolean }>(`SELECT to_regclass('${CHECKPOINT_TABLE}') IS NOT NULL AS present`);
  if (!rows[0]?.present) return false;
  const row = await readCheckpoint(executor, projection.name);
  return row !== null && row.version < projection.version;
}
