import type { SqlExecutor } from '@chirp/event-store';
import type { ErrorLog } from '@chirp/http-kit';
import type { IdempotencyBegin, IdempotencyStore, RecordedAnswer } from './idempotency-store.ts';

export interface SqlIdempotencyStoreOptions {
  /**
   * How long a run holds its key; default 60 s. A run that has not finished by then (its process
   * died) is presumed dead, and a retry takes the key over and runs the command again — with the
   * same seed, so it converges on what the dead run appended.
   */
  leaseSeconds?: number;
  /** How long a key is remembered after its first use; default 24 h. */
  retentionSeconds?: number;
  /** Expired keys are purged at most this often, on a `begin`; default 10 min. */
  purgeIntervalMs?: number;
  log?: ErrorLog;
}

export async function createSqlIdempotencyStore(db: SqlExecutor, options: SqlIdempotencyStoreOptions = {}): Promise<IdempotencyStore> {
  const leaseSeconds = options.leaseSeconds ?? 60;
  const retentionSeconds = options.retentionSeconds ?? 24 * 60 * 60;
  const purgeIntervalMs = options.purgeIntervalMs ?? 10 * 60 * 1000;
  const log = options.log ?? (() => {});
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
  // Columns added after the table's first version; a data directory from before gains them here.
  await db.query(`ALTER TABLE command_idempotency ADD COLUMN IF NOT EXISTS seed uuid`);
  await db.query(`ALTER TABLE command_idempotency ADD COLUMN IF NOT EXISTS headers jsonb`);
  // A pending row's run holds the key until then; rows from before the column: created_at + 60 s.
  await db.query(`ALTER TABLE command_idempotency ADD COLUMN IF NOT EXISTS lease_until timestamptz`);
  await db.query(`CREATE INDEX IF NOT EXISTS command_idempotency_created_at ON command_idempotency (created_at)`);
  const leaseEnd = `coalesce(lease_until, created_at + interval '60 seconds')`;

  let lastPurge = 0;
  async function purgeExpired(): Promise<number> {
    lastPurge = Date.now();
    // A pending key whose run still holds it is kept even past retention: that run will answer.
    const deleted = await db.query(
      `DELETE FROM command_idempotency
        WHERE created_at < now() - make_interval(secs => $1) AND (state = 'completed' OR ${leaseEnd} < now())`,
      [retentionSeconds],
    );
    return deleted.rowCount;
  }

  async function begin(scope: string, key: string, fingerprint: string, seed: string): Promise<IdempotencyBegin> {
    if (Date.now() - lastPurge >= purgeIntervalMs) void purgeExpired().catch((error: unknown) => log('purging idempotency keys failed', error));
    const inserted = await db.query(
      `INSERT INTO command_idempotency (scope, key, fingerprint, state, seed, lease_until)
       VALUES ($1, $2, $3, 'pending', $4, now() + make_interval(secs => $5))
       ON CONFLICT (scope, key) DO NOTHING`,
      [scope, key, fingerprint, seed, leaseSeconds],
    );
    if (inserted.rowCount === 1) return { kind: 'started', seed };
    const { rows } = await db.query<{ fingerprint: string; state: string; status: number | null; body: unknown; headers: Record<string, string> | null }>(
      `SELECT fingerprint, state, status, body, headers FROM command_idempotency WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const row = rows[0];
    if (!row) return begin(scope, key, fingerprint, seed); // purged in between
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'completed') return { kind: 'replay', answer: { status: row.status ?? 200, body: row.body, headers: row.headers ?? {} } };
    // Pending: take the key over if its lease ran out (a failed or dead run), keeping its seed.
    const takenOver = await db.query<{ seed: string }>(
      `UPDATE command_idempotency
          SET lease_until = now() + make_interval(secs => $3), seed = coalesce(seed, $4::uuid)
        WHERE scope = $1 AND key = $2 AND state = 'pending' AND ${leaseEnd} < now()
        RETURNING seed::text AS seed`,
      [scope, key, leaseSeconds, seed],
    );
    const taken = takenOver.rows[0];
    return taken ? { kind: 'started', seed: taken.seed } : { kind: 'in_progress' };
  }

  return {
    begin,
    async complete(scope: string, key: string, answer: RecordedAnswer) {
      await db.query(
        `UPDATE command_idempotency SET state = 'completed', status = $3, body = $4, headers = $5, lease_until = NULL
          WHERE scope = $1 AND key = $2`,
        [scope, key, answer.status, JSON.stringify(answer.body), JSON.stringify(answer.headers)],
      );
    },
    async abandon(scope: string, key: string) {
      await db.query(
        `UPDATE command_idempotency SET lease_until = '-infinity' WHERE scope = $1 AND key = $2 AND state = 'pending'`,
        [scope, key],
      );
    },
    purgeExpired,
  };
}
