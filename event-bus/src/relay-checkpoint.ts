import { z } from 'zod';
import type { SqlQueryable } from '@chirp/event-store';

/**
 * The relay's checkpoint: the global position of the last event the broker acknowledged, one row
 * per relay (by default per topic), in the event store's database. Its own table, not
 * projection_checkpoints: a relay has no version, no read model and no replay, and projector
 * tools (status, replays) must not mistake it for a projection.
 *
 * It only ever moves forward, by compare-and-set from the position the relay last read, so two
 * relays on one row cannot both advance it: the one that comes second gets
 * RelayCheckpointConflictError and stops (what it had published by then are duplicates, which
 * at-least-once delivery allows).
 */

export const RELAY_CHECKPOINT_TABLE = 'relay_checkpoints';

export const relayCheckpointDdl = `
CREATE TABLE IF NOT EXISTS relay_checkpoints (
  name            text PRIMARY KEY,
  position        bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
  published_total bigint NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now()
)`;

export interface RelayCheckpointRow {
  name: string;
  position: number;
  /** Events published under this checkpoint (duplicates re-sent after a failure count again). */
  publishedTotal: number;
  updatedAt: string;
}

export class RelayCheckpointConflictError extends Error {
  constructor(
    readonly relay: string,
    readonly expectedPosition: number,
    /** Where the row stands now; null when it no longer exists. */
    readonly actualPosition: number | null,
  ) {
    super(
      `relay checkpoint ${relay} in ${RELAY_CHECKPOINT_TABLE} is no longer at position ${expectedPosition} ` +
        `(${actualPosition === null ? 'the row is gone' : `it is at ${actualPosition}`}): another relay with the same ` +
        'name advanced it; this relay stops (run one relay per topic)',
    );
    this.name = 'RelayCheckpointConflictError';
  }
}

export class CorruptRelayCheckpointError extends Error {
  constructor(readonly relay: string, detail: string) {
    super(`the checkpoint row of relay ${relay} in ${RELAY_CHECKPOINT_TABLE} is corrupt: ${detail}`);
    this.name = 'CorruptRelayCheckpointError';
  }
}

const RawRow = z.object({
  name: z.string().min(1),
  position: z.number().int().nonnegative(),
  published_total: z.number().int().nonnegative(),
  updated_at: z.string(),
});

const COLUMNS = `name, position, published_total,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

export async function ensureRelayCheckpointTable(db: SqlQueryable): Promise<void> {
  await db.query(relayCheckpointDdl);
}

/** Creates the table and the row if missing (a new relay starts at 0: the whole log) and returns the row. */
export async function openRelayCheckpoint(db: SqlQueryable, name: string): Promise<RelayCheckpointRow> {
  await ensureRelayCheckpointTable(db);
  await db.query(`INSERT INTO relay_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
  const row = await readRelayCheckpoint(db, name);
  if (!row) throw new CorruptRelayCheckpointError(name, 'the row vanished right after it was created');
  return row;
}

/** The row, or null when the table or the row does not exist. */
export async function readRelayCheckpoint(db: SqlQueryable, name: string): Promise<RelayCheckpointRow | null> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('relay_checkpoints')::text AS t`);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM relay_checkpoints WHERE name = $1`, [name]);
  if (rows.length === 0) return null;
  const parsed = RawRow.safeParse(rows[0]);
  if (!parsed.success) throw new CorruptRelayCheckpointError(name, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const r = parsed.data;
  return { name: r.name, position: r.position, publishedTotal: r.published_total, updatedAt: r.updated_at };
}

export interface AdvanceRelayCheckpoint {
  name: string;
  /** The position this relay last read from the row (or last wrote). */
  from: number;
  /** Position of the last event of the acknowledged batch. */
  to: number;
  published: number;
}

/** Compare-and-set from `from` to `to`; throws RelayCheckpointConflictError when the row is not at `from`. */
export async function advanceRelayCheckpoint(db: SqlQueryable, a: AdvanceRelayCheckpoint): Promise<void> {
  if (!(a.to > a.from)) throw new RangeError(`relay checkpoint ${a.name} can only move forward (from ${a.from} to ${a.to})`);
  const result = await db.query(
    `UPDATE relay_checkpoints SET position = $3, published_total = published_total + $4, updated_at = now()
      WHERE name = $1 AND position = $2`,
    [a.name, a.from, a.to, a.published],
  );
  if (result.rowCount === 1) return;
  const row = await readRelayCheckpoint(db, a.name);
  throw new RelayCheckpointConflictError(a.name, a.from, row?.position ?? null);
}
