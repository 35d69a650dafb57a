import { z } from 'zod';
import { describeIssues } from '@chirp/event-store/sql/event-rows';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { isoSql } from './sql-values.ts';

/**
 * The checkpoint table: one row per projection, the source of truth for "how far is this read
 * model" across processes. `position` only moves inside the batch transaction that wrote the
 * read model (compare-and-set); the status columns are also written outside it, on failures.
 */
export type ProjectionState = 'catching_up' | 'running' | 'stalled' | 'stopped';
const PROJECTION_STATES = ['catching_up', 'running', 'stalled', 'stopped'] as const satisfies readonly ProjectionState[];

/**
 * What the last failure was, machine-readable (`last_error` keeps the full message):
 * - 'decode': an event could not be decoded — its row is not a valid envelope, or its payload
 *   fails the event catalogue;
 * - 'apply': the projection's `apply` threw on an event;
 * - 'checkpoint': the batch transaction itself failed — BEGIN, the checkpoint compare-and-set or
 *   COMMIT (e.g. the connection dropped);
 * - 'read': reading the event store failed (store unreachable).
 */
export type ProjectionErrorKind = 'decode' | 'apply' | 'checkpoint' | 'read';
export const PROJECTION_ERROR_KINDS = ['decode', 'apply', 'checkpoint', 'read'] as const satisfies readonly ProjectionErrorKind[];

export const CHECKPOINT_TABLE = 'projection_checkpoints';

const errorKindCheck = `CHECK (error_kind IN (${PROJECTION_ERROR_KINDS.map((k) => `'${k}'`).join(', ')}))`;

export const checkpointDdl = `
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name              text PRIMARY KEY,
  version           integer NOT NULL,
  position          bigint NOT NULL DEFAULT 0,
  state             text NOT NULL DEFAULT 'catching_up'
                    CHECK (state IN ('catching_up', 'running', 'stalled', 'stopped')),
  last_error        text,
  error_kind        text ${errorKindCheck},
  error_position    bigint,
  error_at          timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  events_per_second double precision NOT NULL DEFAULT 0,
  applied_total     bigint NOT NULL DEFAULT 0
)`;

/** Columns added after the table first shipped, for databases created before them. */
const checkpointMigrations = [`ALTER TABLE projection_checkpoints ADD COLUMN IF NOT EXISTS error_kind text ${errorKindCheck}`];

export async function ensureCheckpointTable(db: SqlQueryable): Promise<void> {
  await db.query(checkpointDdl);
  for (const statement of checkpointMigrations) await db.query(statement);
}

export interface CheckpointRow {
  name: string;
  version: number;
  position: number;
  state: ProjectionState;
  lastError: string | null;
  errorKind: ProjectionErrorKind | null;
  errorPosition: number | null;
  errorAt: string | null;
  updatedAt: string;
  eventsPerSecond: number;
  appliedTotal: number;
}

/** A checkpoint row that does not have the shape the runtime writes (edited by hand, say). */
export class CorruptCheckpointError extends Error {
  constructor(
    readonly projection: string,
    readonly detail: string,
  ) {
    super(`the checkpoint row of projection ${projection} in ${CHECKPOINT_TABLE} is corrupt: ${detail}`);
    this.name = 'CorruptCheckpointError';
  }
}

const columns = `name, version, position, state, last_error, error_kind, error_position,
  ${isoSql('error_at')} AS error_at, ${isoSql('updated_at')} AS updated_at, events_per_second, applied_total`;

/** A row as the executors hand it over (int8 as safe numbers, timestamps rendered as ISO text). */
const RawCheckpointRow = z.compile(
  z.object({
    name: z.string().min(1),
    version: z.number().int().nonnegative(),
    position: z.number().int().nonnegative(),
    state: z.enum(PROJECTION_STATES),
    last_error: z.string().nullable(),
    error_kind: z.enum(PROJECTION_ERROR_KINDS).nullable(),
    error_position: z.number().int().nonnegative().nullable(),
    error_at: z.string().nullable(),
    updated_at: z.string(),
    events_per_second: z.number().nonnegative(),
    applied_total: z.number().int().nonnegative(),
  }),
);

function toRow(raw: unknown): CheckpointRow {
  const parsed = RawCheckpointRow.safeParse(raw);
  if (!parsed.success) {
    const name = (raw as { name?: unknown } | null)?.name;
    throw new CorruptCheckpointError(typeof name === 'string' ? name : '(unnamed)', describeIssues(parsed.error));
  }
  const r = parsed.data;
  return {
    name: r.name,
    version: r.version,
    position: r.position,
    state: r.state,
    lastError: r.last_error,
    errorKind: r.error_kind,
    errorPosition: r.error_position,
    errorAt: r.error_at,
    updatedAt: r.updated_at,
    eventsPerSecond: r.events_per_second,
    appliedTotal: r.applied_total,
  };
}

export async function readCheckpoint(db: SqlQueryable, name: string, forUpdate = false): Promise<CheckpointRow | null> {
  const { rows } = await db.query(
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
    ? await db.query(`SELECT ${columns} FROM projection_checkpoints WHERE name = ANY($1::text[]) ORDER BY name`, [[...names]])
    : await db.query(`SELECT ${columns} FROM projection_checkpoints ORDER BY name`);
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

/** The error columns a healthy commit clears. */
const CLEAR_ERROR = 'last_error = NULL, error_kind = NULL, error_position = NULL, error_at = NULL';

/**
 * Compare-and-set of the checkpoint inside the batch transaction. Taking the row lock first
 * means a second runner blocks here, before touching any read-model table, and then finds the
 * position moved (0 rows) instead of double-applying.
 */
export async function advanceCheckpoint(tx: SqlQueryable, a: AdvanceCheckpoint): Promise<void> {
  const result = await tx.query(
    `UPDATE projection_checkpoints
        SET position = $4, state = $5, events_per_second = $6, applied_total = applied_total + $7,
            ${CLEAR_ERROR}, updated_at = now()
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
  f: { error: string; errorPosition: number | null; stalled: boolean; kind?: ProjectionErrorKind | null },
): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints
        SET last_error = $3, error_position = $4, error_kind = $6, error_at = now(), updated_at = now(),
            state = CASE WHEN $5::boolean THEN 'stalled' ELSE state END,
            events_per_second = CASE WHEN $5::boolean THEN 0 ELSE events_per_second END
      WHERE name = $1 AND version = $2`,
    [name, version, f.error, f.errorPosition, f.stalled, f.kind ?? null],
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

/**
 * A runner whose checkpoint is at the store's head has nothing to commit, so no batch would
 * write its state: this records 'running' and clears a failure it has recovered from. Guarded by
 * the position, so it never overwrites a row another runner has moved on.
 */
export async function recordCaughtUp(db: SqlQueryable, name: string, version: number, position: number): Promise<void> {
  await db.query(
    `UPDATE projection_checkpoints SET state = 'running', ${CLEAR_ERROR}, updated_at = now()
      WHERE name = $1 AND version = $2 AND position = $3`,
    [name, version, position],
  );
}
