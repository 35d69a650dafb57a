import type { EventStore } from '@chirp/event-store/port';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { readCheckpoints, type ProjectionErrorKind, type ProjectionState } from '../checkpoints.ts';
import { shadowSchemaOf } from '../replay/shadow-schema.ts';

export interface ProjectionStatus {
  name: string;
  version: number;
  position: number;
  /** Readable events after the checkpoint (capped at 1,000,000). */
  lagEvents: number;
  /** Age in seconds of the oldest event not applied yet; 0 when caught up, null when unknown. */
  lagSeconds: number | null;
  /** Rolling (~10 s) rate written with the last checkpoint; 0 once nothing was applied for 10 s. */
  eventsPerSecond: number;
  appliedTotal: number;
  state: ProjectionState;
  /** The last failure's full message (SQL text included): for operators. */
  lastError: string | null;
  /** What the last failure was, machine-readable; null when there is none. */
  errorKind: ProjectionErrorKind | null;
  errorPosition: number | null;
  errorAt: string | null;
  updatedAt: string;
  /** A replay building this projection beside the live one (replay-projection.ts): how far it got. */
  replay: { position: number; lagEvents: number } | null;
}

export const LAG_CAP = 1_000_000;

/** The status of every projection that has a checkpoint row (optionally only the named ones). */
export async function readProjectionStatuses(
  db: SqlQueryable,
  store: EventStore,
  names?: readonly string[],
): Promise<ProjectionStatus[]> {
  const rows = await readCheckpoints(db, names);
  const fresh = rows.length
    ? await db.query<{ name: string; fresh: boolean }>(
        `SELECT name, updated_at > now() - interval '10 seconds' AS fresh FROM projection_checkpoints WHERE name = ANY($1::text[])`,
        [rows.map((r) => r.name)],
      )
    : { rows: [] };
  const isFresh = new Map(fresh.rows.map((r) => [r.name, r.fresh]));
  const replays = await replayPositions(db, rows.map((r) => r.name));
  return Promise.all(
    rows.map(async (row): Promise<ProjectionStatus> => {
      const lagEvents = await store.countAfter(row.position, LAG_CAP);
      let lagSeconds: number | null = 0;
      if (lagEvents > 0) {
        const [oldest] = await store.readAll(row.position, 1);
        const at = oldest ? Date.parse(oldest.occurredAt) : Number.NaN;
        lagSeconds = Number.isNaN(at) ? null : Math.max(0, (Date.now() - at) / 1000);
      }
      return {
        name: row.name,
        version: row.version,
        position: row.position,
        lagEvents,
        lagSeconds,
        eventsPerSecond: isFresh.get(row.name) ? row.eventsPerSecond : 0,
        appliedTotal: row.appliedTotal,
        state: row.state,
        lastError: row.lastError,
        errorKind: row.errorKind,
        errorPosition: row.errorPosition,
        errorAt: row.errorAt,
        updatedAt: row.updatedAt,
        replay: replays.has(row.name) ? { position: replays.get(row.name)!, lagEvents: await store.countAfter(replays.get(row.name)!, LAG_CAP) } : null,
      };
    }),
  );
}

/**
 * The smallest checkpoint among the named projections (0 for one that has no checkpoint yet):
 * every event at or before it is visible in all of them. For read-your-writes waits.
 */
export async function minCheckpoint(db: SqlQueryable, names: readonly string[]): Promise<number> {
  if (names.length === 0) throw new RangeError('minCheckpoint needs at least one projection name');
  const rows = await readCheckpoints(db, names);
  if (rows.length < new Set(names).size) return 0;
  return Math.min(...rows.map((r) => r.position));
}

/** Position of each replay in progress (its shadow schema exists; 0 until its checkpoint does). */
async function replayPositions(db: SqlQueryable, names: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (names.length === 0) return out;
  const schemas = new Map(names.map((n) => [shadowSchemaOf(n), n]));
  const { rows } = await db.query<{ nspname: string; checkpoints: string | null }>(
    `SELECT nspname, to_regclass(quote_ident(nspname) || '.projection_checkpoints')::text AS checkpoints FROM pg_namespace WHERE nspname = ANY($1::text[])`,
    [[...schemas.keys()]],
  );
  for (const r of rows) {
    const name = schemas.get(r.nspname)!;
    let position = 0;
    if (r.checkpoints) {
      const found = await db.query<{ position: number }>(`SELECT position FROM ${r.checkpoints} WHERE name = $1`, [name]);
      position = Number(found.rows[0]?.position ?? 0);
    }
    out.set(name, position);
  }
  return out;
}
