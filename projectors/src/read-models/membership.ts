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
 * change each update would have made had they been applied one by one, in order. Three steps,
 * whatever the count: lock and read the stored rows of the distinct keys; fold the updates over
 * them in memory (an update changes a row only above its revision, so duplicates, stale
 * redeliveries and several updates of one key within the batch come out as one by one); write
 * each changed key's final row in one revision-guarded upsert.
 */
export async function setMemberships(
  tx: SqlQueryable,
  table: string,
  cols: readonly string[],
  updates: readonly MembershipUpdate[],
): Promise<MembershipChange[]> {
  if (updates.length === 0) return [];
  const keyOf = (keys: readonly string[]) => keys.join('\u0000'); // ids never hold NUL
  const distinct = new Map<string, readonly string[]>();
  for (const u of updates) distinct.set(keyOf(u.keys), u.keys);
  const distinctKeys = [...distinct.values()];
  const columns = cols.map((_, i) => distinctKeys.map((keys) => keys[i]!));
  const k = cols.map((_, i) => `k${i}`);
  const { rows } = await tx.query<Record<string, unknown>>(
    `SELECT ${cols.map((c) => `t.${c}`).join(', ')}, t.active, t.revision
       FROM ${table} t JOIN unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS k(${k.join(', ')})
         ON ${cols.map((c, i) => `t.${c} = k.${k[i]}`).join(' AND ')}
      FOR UPDATE OF t`,
    columns,
  );
  const stored = new Map<string, { active: boolean; revision: number }>();
  for (const r of rows) stored.set(keyOf(cols.map((c) => String(r[c]))), { active: r.active === true, revision: toNumber(r.revision) });

  const changed = new Map<string, { keys: readonly string[]; active: boolean; revision: number }>();
  const changes = updates.map((u): MembershipChange => {
    const key = keyOf(u.keys);
    const old = changed.get(key) ?? stored.get(key);
    if (old && old.revision >= u.revision) return 'unchanged';
    changed.set(key, { keys: u.keys, active: u.active, revision: u.revision });
    const was = old?.active ?? false;
    if (was === u.active) return 'unchanged';
    return u.active ? 'activated' : 'deactivated';
  });

  const rowsToWrite = [...changed.values()];
  if (rowsToWrite.length > 0) {
    const n = cols.length;
    await tx.query(
      `INSERT INTO ${table} AS t (${cols.join(', ')}, active, revision)
       SELECT * FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')}, $${n + 1}::boolean[], $${n + 2}::integer[])
       ON CONFLICT (${cols.join(', ')}) DO UPDATE SET active = EXCLUDED.active, revision = EXCLUDED.revision
         WHERE t.revision < EXCLUDED.revision`,
      [...cols.map((_, i) => rowsToWrite.map((r) => r.keys[i]!)), rowsToWrite.map((r) => r.active), rowsToWrite.map((r) => r.revision)],
    );
  }
  return changes;
}
