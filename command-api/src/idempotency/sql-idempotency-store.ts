import type { SqlExecutor } from '@chirp/event-store';
import type { IdempotencyBegin, IdempotencyStore } from './idempotency-store.ts';

/**
 * A request that started but never finished (its process died) holds its key for this long;
 * after that a retry takes the key over and runs the command again.
 */
const abandonedAfterSeconds = 60;

export async function createSqlIdempotencyStore(db: SqlExecutor): Promise<IdempotencyStore> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS command_idempotency (
      scope text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'completed')),
      status int,
      body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    )`);
  async function begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const inserted = await db.query(
      `INSERT INTO command_idempotency (scope, key, fingerprint, state) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (scope, key) DO NOTHING`,
      [scope, key, fingerprint],
    );
    if (inserted.rowCount === 1) return { kind: 'started' };
    const { rows } = await db.query<{ fingerprint: string; state: string; status: number | null; body: unknown }>(
      `SELECT fingerprint, state, status, body FROM command_idempotency WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const row = rows[0];
    if (!row) return begin(scope, key, fingerprint); // abandoned and deleted in between
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'completed') return { kind: 'replay', status: row.status ?? 200, body: row.body };
    const takenOver = await db.query(
      `UPDATE command_idempotency SET created_at = now()
       WHERE scope = $1 AND key = $2 AND state = 'pending' AND created_at < now() - make_interval(secs => $3)`,
      [scope, key, abandonedAfterSeconds],
    );
    return takenOver.rowCount === 1 ? { kind: 'started' } : { kind: 'in_progress' };
  }
  return {
    begin,
    async complete(scope, key, status, body) {
      await db.query(
        `UPDATE command_idempotency SET state = 'completed', status = $3, body = $4 WHERE scope = $1 AND key = $2`,
        [scope, key, status, JSON.stringify(body)],
      );
    },
    async abandon(scope, key) {
      await db.query(`DELETE FROM command_idempotency WHERE scope = $1 AND key = $2 AND state = 'pending'`, [scope, key]);
    },
  };
}
