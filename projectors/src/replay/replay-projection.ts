import type { EventStore } from '@chirp/event-store/port';
import { readAllEvents } from '@chirp/event-store/sql/sql-read';
import type { SqlExecutor } from '@chirp/event-store/sql/executor';
import { applyBatchInTransaction, decodeBatch } from '../apply-batch.ts';
import { CHECKPOINT_TABLE, ensureCheckpointTable, readCheckpoint } from '../checkpoints.ts';
import { runDdl } from '../ddl.ts';
import { prepareProjection, ProjectionVersionError, setUpTables } from '../prepare-projection.ts';
import type { Projection } from '../projection.ts';
import { inShadowSchema, searchShadowFirst, shadowSchemaOf } from './shadow-schema.ts';
import type { Logger } from '@chirp/telemetry';
import { tracedBatch } from '../batch-telemetry.ts';

export interface ReplayOptions {
  /** Events per shadow transaction; default 10,000 (bench:replay: 2,000 → 10,000 made the slowest replays ~1.3× faster). */
  batchSize?: number;
  /**
   * Called (and awaited) after every shadow batch with the events applied so far and how many
   * remain to the head, and once more with `switching` when the shadow reached the head and the
   * switch transaction is about to start.
   */
  onProgress?: (applied: number, remaining: number, phase: 'catching_up' | 'switching') => void | Promise<void>;
  /** Discard the shadow of an earlier replay that did not finish (otherwise: ReplayInProgressError). */
  force?: boolean;
  /**
   * Run after the switch committed: for side effects outside the database that the new tables no
   * longer match (the home timeline's cache lists, say, which the shadow never fanned out to).
   */
  afterSwitch?: () => Promise<void>;
  /**
   * Stops the replay between batches (before the switch, which is never cut short): the shadow
   * is dropped and the live projection stays as it was. A process shutting down aborts its
   * replays, so none leaves a shadow behind that the next one would have to `--force` away.
   */
  signal?: AbortSignal;
  /** Where each shadow batch is logged (one line per batch); default nowhere. Spans and metrics are recorded either way. */
  logger?: Logger;
}

export interface ReplayResult {
  projection: string;
  version: number;
  /** The position the new tables were built to and the live projection continues from. */
  position: number;
  events: number;
  seconds: number;
}

export class ReplayInProgressError extends Error {
  constructor(readonly projection: string) {
    super(
      `a replay of ${projection} is in progress, or an earlier one was interrupted (schema ${shadowSchemaOf(projection)} exists); ` +
        'wait for it, or run again with --force to discard it',
    );
    this.name = 'ReplayInProgressError';
  }
}

/**
 * Rebuilds a projection from position 0 beside the live one and switches to it atomically — the
 * live tables serve reads the whole time, never empty, never an error:
 *
 * 1. the projection's own code builds its tables in a shadow schema (shadow-schema.ts) from
 *    position 0 to the store's head, in large batches, with its own checkpoint there;
 * 2. one transaction locks the live checkpoint row — the live runner's next batch waits on it —
 *    applies the events between the shadow's position and the live position to the shadow (read
 *    inside that transaction), replaces the live tables with the shadow's (DDL is transactional in
 *    PostgreSQL: readers see the old tables or the new ones), re-runs the projection's setup for
 *    what lived on the old tables (views), and leaves the checkpoint where the live runner expects
 *    it, so it simply continues on the new tables. If the shadow got ahead of the live runner, the
 *    live runner applies those events again — projections are tolerant of redelivery by contract
 *    (projection.ts) — rather than being moved under its feet;
 * 3. the shadow schema is dropped.
 *
 * The store may live outside the read models' database (EventStoreDB): the switch reads the
 * events it applies from the store; only the tables and checkpoints must share one database. The shadow is built with the
 * projection's `replica` when it has one (a variant without side effects outside its tables), and
 * its `afterReplay` runs after the switch.
 *
 * A projection stored at an older version than the code's (a version raise) is replayed the same
 * way — the old tables serve until the switch — and goes live at the new version and the shadow's
 * position; the runner does this at start-up (projection-runner.ts).
 */
export async function replayProjection(store: EventStore, executor: SqlExecutor, given: Projection, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  // The shadow is built by the projection's side-effect-free replica where it has one.
  const projection = given.replica ?? given;
  const schema = shadowSchemaOf(projection.name);
  const batchSize = options.batchSize ?? 10_000;
  await claimShadowSchema(executor, schema, projection.name, options.force ?? false);
  const shadow = inShadowSchema(executor, schema);
  try {
    let position = await prepareProjection(shadow, projection, { readerIndexes: false });
    let applied = 0;
    // Counted once, beside the first batches: progress is an estimate (the head moves), and
    // counting the rest after every batch would read the remaining log again each time.
    const total = store.countAfter(position, Number.MAX_SAFE_INTEGER);
    total.catch(() => {});
    // 1. Catch up outside any lock, as far as the store's head (it moves; the switch finishes).
    //    The next batch is read and decoded while the database applies this one: the process and
    //    the database work at the same time instead of taking turns.
    const readAhead = (from: number) => store.readAll(from, batchSize).then((events) => decodeBatch(projection, events));
    let next = readAhead(position);
    for (;;) {
      const batch = await next;
      options.signal?.throwIfAborted();
      if (batch.events.length === 0) break;
      const from = position;
      position = batch.events[batch.events.length - 1]!.position;
      next = readAhead(position);
      // A failed read-ahead is reported by the `await next` above, or dropped with the replay.
      next.catch(() => {});
      await tracedBatch(batch.events, { projection: projection.name, feed: 'replay', ...(options.logger ? { logger: options.logger } : {}) }, () =>
        shadow.transaction((tx) => applyBatchInTransaction(tx, projection, batch, { from, state: 'catching_up', eventsPerSecond: 0 })),
      );
      applied += batch.events.length;
      await options.onProgress?.(applied, Math.max(0, (await total) - applied), 'catching_up');
    }
    // Indexes only readers use, built once over the finished tables (projection.ts).
    await shadow.transaction(async (tx) => {
      await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
      await runDdl(tx, projection.readerIndexes ?? []);
    });
    options.signal?.throwIfAborted();
    await options.onProgress?.(applied, 0, 'switching');
    // 2. The switch.
    const live = await executor.transaction(async (tx) => {
      await ensureCheckpointTable(tx);
      const row = await readCheckpoint(tx, projection.name, true);
      if (row && row.version > projection.version) throw new ProjectionVersionError(projection.name, row.version, projection.version);
      // A version raise: no runner of the old version may go on (its compare-and-set names the old
      // version), so the new tables go live at the shadow's own position.
      const raised = row !== null && row.version < projection.version;
      const target = row && !raised ? row.position : position;
      await searchShadowFirst(tx, schema);
      // The events up to the live position are settled (the live runner has read them), so any
      // reader returns them: the store's own (EventStoreDB, or the SQL store over another pooled
      // connection) — except on PGlite, one connection, where a read outside this transaction
      // would wait for it; there the SQL store's read runs inside it.
      const readSettled = (from: number) => (executor.engine === 'pglite' ? readAllEvents(tx, from, batchSize) : store.readAll(from, batchSize));
      while (position < target) {
        const events = (await readSettled(position)).filter((e) => e.position <= target);
        if (events.length === 0) throw new Error(`events up to ${target} were not readable in the switch transaction`);
        await applyBatchInTransaction(tx, projection, events, { from: position, state: 'catching_up', eventsPerSecond: 0 });
        position = events[events.length - 1]!.position;
        applied += events.length;
      }
      await searchShadowFirst(tx, null);
      for (const table of projection.readsTables ?? []) {
        await tx.query(`DROP TABLE IF EXISTS public.${table} CASCADE`);
        await tx.query(`ALTER TABLE ${schema}.${table} SET SCHEMA public`);
      }
      await setUpTables(tx, projection, { readerIndexes: true });
      if (!row) {
        await tx.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, version, position, state) VALUES ($1, $2, $3, 'running')`, [
          projection.name,
          projection.version,
          position,
        ]);
      } else if (raised) {
        await tx.query(
          `UPDATE ${CHECKPOINT_TABLE}
              SET version = $2, position = $3, applied_total = $4, state = 'running', events_per_second = 0,
                  last_error = NULL, error_kind = NULL, error_position = NULL, error_at = NULL, updated_at = now()
            WHERE name = $1`,
          [projection.name, projection.version, position, applied],
        );
      }
      await tx.query(`DROP SCHEMA ${schema} CASCADE`);
      return position;
    });
    await given.afterReplay?.();
    await options.afterSwitch?.();
    return { projection: projection.name, version: projection.version, position: live, events: applied, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    // The live tables are untouched until the switch commits; leave nothing half-built behind.
    await executor.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    throw error;
  }
}

/** Creates the shadow schema; one that exists means another replay (or an interrupted one). */
async function claimShadowSchema(executor: SqlExecutor, schema: string, name: string, force: boolean): Promise<void> {
  await executor.transaction(async (tx) => {
    const { rows } = await tx.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present`, [schema]);
    if (rows[0]?.present) {
      if (!force) throw new ReplayInProgressError(name);
      await tx.query(`DROP SCHEMA ${schema} CASCADE`);
    }
    await tx.query(`CREATE SCHEMA ${schema}`);
  });
}
