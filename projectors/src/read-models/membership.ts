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
