import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { toNumber } from '../sql-values.ts';

export type MembershipChange = 'activated' | 'deactivated' | 'unchanged';

/**
 * Revision-guarded membership row (follow, like, retweet): `(keys…, active, revision)`.
 * The row keeps the stream revision of the last event applied to it, so a redelivered or stale
 * event (revision ≤ stored) changes nothing, and an undo that overtakes its do is not undone by
 * it. Counters move only on the returned 'activated' / 'deactivated'. Inactive rows stay as
 * tombstones of the pair. The table must have a primary key on exactly `keys`.
 */
export async function setMembership(
  tx: SqlQueryable,
  table: string,
  keys: Readonly<Record<string, string>>,
  active: boolean,
  revision: number,
): Promise<MembershipChange> {
  const cols = Object.keys(keys);
  const values = Object.values(keys);
  const where = cols.map((c, i) => `${c} = $${i + 1}`).join(' AND ');
  const { rows } = await tx.query<{ active: boolean; revision: unknown }>(
    `SELECT active, revision FROM ${table} WHERE ${where} FOR UPDATE`,
    values,
  );
  const old = rows[0];
  if (old && toNumber(old.revision) >= revision) return 'unchanged';
  const n = cols.length;
  await tx.query(
    `INSERT INTO ${table} (${cols.join(', ')}, active, revision)
     VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}, $${n + 1}, $${n + 2})
     ON CONFLICT (${cols.join(', ')}) DO UPDATE SET active = EXCLUDED.active, revision = EXCLUDED.revision
       WHERE ${table}.revision < EXCLUDED.revision`,
    [...values, active, revision],
  );
  const was = old?.active ?? false;
  if (was === active) return 'unchanged';
  return active ? 'activated' : 'deactivated';
}

export interface MembershipUpdate {
  /** Values of the key columns, in the order given to `setMemberships`. */
  readonly keys: readonly string[];
  readonly active: boolean;
  readonly revision: number;
}

/**
 * `setMembership` for many updates at once, with exactly its per-update outcome: resolves to the
 * change each update would have made had they been applied one by one, in order. An update
 * changes a row only above its revision, so duplicates, stale redeliveries and several updates of
 * one key within the batch come out as one by one; each key's outcome depends only on its stored
 * row, so keys are settled independently:
 * 1. keys with no row yet — nearly all of them in a replay, most follows live — in one INSERT …
 *    ON CONFLICT DO NOTHING of their final rows, which says which keys were new;
 * 2. the others (if any): lock and read their stored rows, fold their updates over them in
 *    memory, write each changed key's final row in one revision-guarded upsert.
 */
export async function setMemberships(
  tx: SqlQueryable,
  table: string,
  cols: readonly string[],
  updates: readonly MembershipUpdate[],
): Promise<MembershipChange[]> {
  if (updates.length === 0) return [];
  const asNew = foldUpdates(updates, new Map());
  const inserted = await insertNewRows(tx, table, cols, [...asNew.finalRows.values()]);
  if (inserted.size === asNew.finalRows.size) return asNew.changes;

  const existing = updates.flatMap((u, i) => (inserted.has(keyOf(u.keys)) ? [] : [{ u, i }]));
  const stored = await lockStoredRows(tx, table, cols, existing.map((x) => x.u.keys));
  const onStored = foldUpdates(existing.map((x) => x.u), stored);
  await upsertRows(tx, table, cols, [...onStored.finalRows.values()]);
  const changes = [...asNew.changes];
  existing.forEach((x, j) => (changes[x.i] = onStored.changes[j]!));
  return changes;
}

type MembershipRow = { keys: readonly string[]; active: boolean; revision: number };

const keyOf = (keys: readonly string[]) => keys.join('\u0000'); // ids never hold NUL

/** Applies the updates in order over the stored rows: each one's change, and each changed key's final row. */
function foldUpdates(
  updates: readonly MembershipUpdate[],
  stored: ReadonlyMap<string, { active: boolean; revision: number }>,
): { changes: MembershipChange[]; finalRows: Map<string, MembershipRow> } {
  const finalRows = new Map<string, MembershipRow>();
  const changes = updates.map((u): MembershipChange => {
    const key = keyOf(u.keys);
    const old = finalRows.get(key) ?? stored.get(key);
    if (old && old.revision >= u.revision) return 'unchanged';
    finalRows.set(key, { keys: u.keys, active: u.active, revision: u.revision });
    const was = old?.active ?? false;
    if (was === u.active) return 'unchanged';
    return u.active ? 'activated' : 'deactivated';
  });
  return { changes, finalRows };
}

/** `unnest` parameters for the rows: one array per key column, then active and revision. */
function rowArrays(cols: readonly string[], rows: readonly MembershipRow[]): unknown[] {
  return [...cols.map((_, i) => rows.map((r) => r.keys[i]!)), rows.map((r) => r.active), rows.map((r) => r.revision)];
}

function unnestRows(cols: readonly string[]): string {
  const n = cols.length;
  return `SELECT * FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}, $${n + 1}::boolean[], $${n + 2}::integer[])`;
}

/** Inserts the rows whose key has none yet; resolves to the keys inserted. */
async function insertNewRows(tx: SqlQueryable, table: string, cols: readonly string[], rows: readonly MembershipRow[]): Promise<Set<string>> {
  const { rows: inserted } = await tx.query<Record<string, unknown>>(
    `INSERT INTO ${table} (${cols.join(', ')}, active, revision) ${unnestRows(cols)}
     ON CONFLICT (${cols.join(', ')}) DO NOTHING RETURNING ${cols.join(', ')}`,
    rowArrays(cols, rows),
  );
  return new Set(inserted.map((r) => keyOf(cols.map((c) => String(r[c])))));
}

async function lockStoredRows(
  tx: SqlQueryable,
  table: string,
  cols: readonly string[],
  keyList: readonly (readonly string[])[],
): Promise<Map<string, { active: boolean; revision: number }>> {
  const distinct = new Map<string, readonly string[]>();
  for (const keys of keyList) distinct.set(keyOf(keys), keys);
  const distinctKeys = [...distinct.values()];
  const k = cols.map((_, i) => `k${i}`);
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT ${cols.map((c) => `t.${c}`).join(', ')}, t.active, t.revision
       FROM ${table} t JOIN unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS k(${k.join(', ')})
         ON ${cols.map((c, i) => `t.${c} = k.${k[i]}`).join(' AND ')}
      FOR UPDATE OF t`,
    cols.map((_, i) => distinctKeys.map((keys) => keys[i]!)),
  );
  const stored = new Map<string, { active: boolean; revision: number }>();
  for (const r of rows) stored.set(keyOf(cols.map((c) => String(r[c]))), { active: r.active === true, revision: toNumber(r.revision) });
  return stored;
}

async function upsertRows(tx: SqlQueryable, table: string, cols: readonly string[], rows: readonly MembershipRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO ${table} AS t (${cols.join(', ')}, active, revision) ${unnestRows(cols)}
     ON CONFLICT (${cols.join(', ')}) DO UPDATE SET active = EXCLUDED.active, revision = EXCLUDED.revision
       WHERE t.revision < EXCLUDED.revision`,
    rowArrays(cols, rows),
  );
}
