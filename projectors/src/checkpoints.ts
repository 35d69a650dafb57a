import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { toIso, toNumber } from './sql-values.ts';

/**
 * The checkpoint table: one row per projection, the source of truth for "how far is this read
 * model" across processes. `position` only moves inside the batch transaction that wrote the
 * read model (compare-and-set); the status columns are also written outside it, on failures.
 */
export type ProjectionState = 'catching_up' | 'running' | 'stalled' | 'stopped';

export const CHECKPOINT_TABLE = 'projection_checkpoints';

export const checkpointDdl = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name              text PRIMARY KEY,
  version           integer NOT NULL,
  position          bigint NOT NULL DEFAULT 0,
  state             text NOT NULL DEFAULT 'catching_up'
                    CHECK (state IN ('catching_up', 'running', 'stalled', 'stopped')),
  last_error        text,
  error_position    bigint,
  error_at          timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  events_per_second double precision NOT NULL DEFAULT 0,
  applied_total     bigint NOT NULL DEFAULT 0
)`;

export async function ensureCheckpointTable(db: SqlQueryable): Promise<void> {
  await db.query(checkpointDdl);
}

export interface CheckpointRow {
  name: string;
  version: number;
  position: number;
  state: ProjectionState;
  lastError: string | null;
  errorPosition: number | null;
  errorAt: string | null;
  updatedAt: string;
  eventsPerSecond: number;
  appliedTotal: number;
}

const columns = `name, version, position, state, last_error, error_position, error_at, updated_at,
  events_per_second, applied_total`;

interface RawRow {
  name: string;
  version: number;
  position: unknown;
  state: ProjectionState;
  last_error: string | null;
  error_position: unknown;
  error_at: unknown;
  updated_at: unknown;
  events_per_second: unknown;
  applied_total: unknown;
}

function toRow(r: RawRow): CheckpointRow {
  return {
    name: r.name,
    version: Number(r.version),
    position: toNumber(r.position),
    state: r.state,
    lastError: r.last_error,
    errorPosition: r.error_position === null ? null : toNumber(r.error_position),
    errorAt: toIso(r.error_at),
    updatedAt: toIso(r.updated_at) ?? '',
    eventsPerSecond: toNumber(r.events_per_second),
    appliedTotal: toNumber(r.applied_total),
  };
}

export async function readCheckpoint(db: SqlQueryable, name: string, forUpdate = false): Promise<CheckpointRow | null> {
  const { rows } = await db.query<RawRow>(
    `SELECT ${columns} FROM projection_checkpoints WHERE name = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

/** Every checkpoint row (optionally only the named ones), by name. Missing table → []. */
export async function readCheckpoints(db: SqlQueryable, names?: readonly string[]): Promise<CheckpointRow[]> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('projection_checkpoints')::text AS t`);
  if (!exists.rows[0]?.t) return [];
  const { rows } = names
    ? await db.query<RawRow>(`SELECT ${columns} FROM projection_checkpoints WHERE name = ANY($1::text[]) ORDER BY name`, [
        [...names],
      ])
    : await db.query<RawRow>(`SELECT ${columns} FROM projection_checkpoints ORDER BY name`);
  return rows.map(toRow);
}

/** Another runner moved the checkpoint (or rebuilt the projection): this runner must stop. */
export class CheckpointConflictError extends Error {
  constructor(
    readonly projection: string,
    readonly expectedPosition: number,
    readonly expectedVersion: number,
  ) {
    super(
      `checkpoint of projection ${projection} is no longer at position ${expectedPosition} (version ${expectedVersion}): ` +
        'another runner of the same projection advanced it; this runner stops without applying its batch',
    );
    this.name = 'CheckpointConflictError';
  }
}

export interface AdvanceCheckpoint {
  name: string;
  version: number;
  from: number;
  to: number;
  applied: number;
  state: ProjectionState;
  eventsPerSecond: number;
}

/**
 * Compare-and-set of the checkpoint inside the batch transaction. Taking the row lock first
 * means a second runner blocks here, before touching any read-model table, and then finds the
 * position moved (0 rows) instead of double-applying.
 */
export async function advanceCheckpoint(tx: SqlQueryable, a: AdvanceCheckpoint): Promise<void> {
  const result = await tx.query(
    `UPDATE projection_checkpoints
        SET position = $4, state = $5, events_per_second = $6, applied_total = applied_total + $7,
            last_error = NULL, error_position = NULL, error_at = NULL, updated_at = now()
      WHERE name = $1 AND version = $2 AND position = $3`,
    [a.name, a.version, a.from, a.to, a.state, a.eventsPerSecond, a.applied],
  );
  if (result.rowCount !== 1) throw new CheckpointConflictError(a.name, a.from, a.version);
}

/** Status written outside any batch transaction (never touches the position). */
export async function recordFailure(
  db: SqlQueryable,
  name: string,
  version: number,
  f: { error: string; errorPosition: number | null; stalled: boolean },
): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints
        SET last_error = $3, error_position = $4, error_at = now(), updated_at = now(),
            state = CASE WHEN $5::boolean THEN 'stalled' ELSE state END,
            events_per_second = CASE WHEN $5::boolean THEN 0 ELSE events_per_second END
      WHERE name = $1 AND version = $2`,
    [name, version, f.error, f.errorPosition, f.stalled],
  );
}

export async function recordState(db: SqlQueryable, name: string, version: number, state: ProjectionState): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints SET state = $3, updated_at = now(),
            events_per_second = CASE WHEN $3 = 'stopped' THEN 0 ELSE events_per_second END
      WHERE name = $1 AND version = $2`,
    [name, version, state],
  );
}
