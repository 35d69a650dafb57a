import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChirp } from './run-chirp.ts';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { recordFailure } from '@chirp/projectors/checkpoints';
import { prepareProjection } from '@chirp/projectors/prepare-projection';
import { allProjections, profilesProjection, tweetsProjection } from '@chirp/projectors/read-models/index';
import { readProjectionStatuses } from '@chirp/projectors/status/reader';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

/**
 * `chirp projections list|status` as a child process against a real PostgreSQL database whose
 * checkpoint table was written by the projector runtime's own functions: the CLI must print what
 * that table holds, with the lag the store measures.
 */
const noStack = /\n\s+at /;

let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
let positions: number[];
const others = () => allProjections.map((p) => p.name).filter((n) => n !== 'profiles' && n !== 'tweets');

beforeAll(async () => {
  database = await createTestDatabase('cli_projections');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
  positions = [];
  for (let i = 0; i < 5; i++) {
    const id = randomUUID();
    const { position } = await store.append(
      `tweet-${id}`,
      [{ eventId: randomUUID(), type: 'TweetPosted', data: { tweetId: id }, schemaVersion: 1, occurredAt: new Date().toISOString(), metadata: { correlationId: 'c', causationId: 'k', actorUserId: null } }],
      'no_stream',
    );
    positions.push(position);
  }
  // profiles has applied three events and runs; tweets is stalled on the second event.
  await prepareProjection(executor, profilesProjection);
  await prepareProjection(executor, tweetsProjection);
  await executor.query(`UPDATE projection_checkpoints SET position = $1, state = 'running', applied_total = 3 WHERE name = 'profiles'`, [positions[2]]);
  await executor.query(`UPDATE projection_checkpoints SET position = $1 WHERE name = 'tweets'`, [positions[0]]);
  await recordFailure(executor, 'tweets', tweetsProjection.version, {
    error: 'duplicate key value violates unique constraint "tweets_pkey"\nDETAIL: Key (tweet_id)=(…) already exists.',
    errorPosition: positions[1]!,
    stalled: true,
    kind: 'apply',
  });
  // A checkpoint of a read model this build no longer defines.
  await executor.query(`INSERT INTO projection_checkpoints (name, version, position, state) VALUES ('retired-model', 2, $1, 'stopped')`, [positions[4]]);
});

afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

const chirp = (args: readonly string[]) => runChirp(args, { CHIRP_DATABASE_URL: database.url });

/** The table's rows as cells (columns are separated by two or more blanks). */
const rowsOf = (text: string) => text.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));

describe('chirp projections status', () => {
  it.concurrent('prints each checkpoint row with its lag, state and last error', async () => {
    const run = await chirp(['projections', 'status']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`head position ${positions[4]}`);
    const [header, ...rows] = rowsOf(lines.slice(1, -1).join('\n'));
    expect(header).toEqual(['NAME', 'VERSION', 'STATE', 'POSITION', 'LAG', 'BEHIND', 'EVENTS/S', 'LAST ERROR']);
    expect(rows.map((r) => r.slice(0, 5).concat(r.slice(6)))).toEqual([
      ['profiles', String(profilesProjection.version), 'running', String(positions[2]), '2', '0.0', '-'],
      ['retired-model', '2', 'stopped', String(positions[4]), '0', '0.0', '-'],
      ['tweets', String(tweetsProjection.version), 'stalled', String(positions[0]), '4', '0.0', `apply at ${positions[1]}: duplicate key value violates unique constraint "tweets_pkey"`],
    ]);
    expect(rows[1]![5]).toBe('0.0s'); // caught up: nothing behind
    expect(lines.at(-1)).toBe(`no checkpoint yet: ${others().join(', ')}`);
  });

  it.concurrent('--json holds what readProjectionStatuses reads, error text in full', async () => {
    const run = await chirp(['projections', 'status', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout) as { headPosition: number; items: Array<Record<string, unknown>>; withoutCheckpoint: string[] };
    const expected = await readProjectionStatuses(executor, store);
    const stable = (s: Record<string, unknown>) => ({ ...s, lagSeconds: typeof s.lagSeconds, updatedAt: typeof s.updatedAt });
    expect(answer.items.map(stable)).toEqual(expected.map((s) => stable({ ...s })));
    expect(answer.items.find((s) => s.name === 'tweets')).toMatchObject({ lastError: expect.stringContaining('\nDETAIL: Key'), errorKind: 'apply', lagEvents: 4 });
    expect(answer.headPosition).toBe(positions[4]);
    expect(answer.withoutCheckpoint).toEqual(others());
  });

  it.concurrent('status <name> prints only that projection', async () => {
    const run = await chirp(['projections', 'status', 'profiles']);
    expect(run.code, run.stderr).toBe(0);
    const rows = rowsOf(run.stdout.trim().split('\n').slice(1).join('\n'));
    expect(rows.map((r) => r[0])).toEqual(['NAME', 'profiles']);
  });

  it.concurrent('an unknown projection exits 2 naming the defined ones; a defined one without a checkpoint exits 1', async () => {
    const unknown = await chirp(['projections', 'status', 'nope']);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: `chirp: unknown projection nope; projections: ${allProjections.map((p) => p.name).join(', ')}\n` });
    const name = others()[0]!;
    const pending = await chirp(['projections', 'status', name]);
    expect(pending).toEqual({ code: 1, stdout: '', stderr: `chirp: projection ${name} has no checkpoint yet: its projector has never run on this database\n` });
    expect(pending.stderr).not.toMatch(noStack);
  });
});

describe('chirp projections list', () => {
  it.concurrent('lists the defined projections with their versions and checkpoints, then checkpoints nobody defines', async () => {
    const run = await chirp(['projections', 'list']);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = rowsOf(run.stdout);
    expect(header).toEqual(['NAME', 'VERSION', 'CHECKPOINT']);
    expect(rows).toEqual([
      ...allProjections.map((p) => [
        p.name,
        String(p.version),
        p.name === 'profiles' ? `at position ${positions[2]}, running` : p.name === 'tweets' ? `at position ${positions[0]}, stalled` : 'none yet (built from position 0 when its projector first runs)',
      ]),
      ['retired-model', '-', `at position ${positions[4]}, stopped (version 2; not defined by this build)`],
    ]);
  });

  it.concurrent('--json', async () => {
    const run = await chirp(['projections', 'list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { items } = JSON.parse(run.stdout) as { items: unknown[] };
    expect(items).toHaveLength(allProjections.length + 1);
    const version = profilesProjection.version;
    expect(items[0]).toEqual({ name: 'profiles', version, checkpoint: { version, position: positions[2], state: 'running' } });
    expect(items.at(-1)).toEqual({ name: 'retired-model', version: null, checkpoint: { version: 2, position: positions[4], state: 'stopped' } });
  });
});
