import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChirp } from './run-chirp.ts';
import type { StoredEvent } from '@chirp/domain/envelope';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { LOCK_FILE, lockDataDir } from '../src/data-dir-lock.ts';

/**
 * The CLI on the embedded PGlite database `npm start` uses: it reads the same directory, and
 * refuses (at once, without touching it) while another process holds the directory's lock.
 */
const noStack = /\n\s+at /;
const base = mkdtempSync(join(tmpdir(), 'chirp-cli-'));
const dataDir = join(base, 'data');
let written: StoredEvent[];

beforeAll(async () => {
  const db = await openDatabase(loadConfig({ CHIRP_DATA_DIR: dataDir }));
  try {
    const userId = randomUUID();
    await db.store.append(
      `user-${userId}`,
      ['UserRegistered', 'ProfileUpdated'].map((type) => ({
        eventId: randomUUID(),
        type,
        data: { userId, handle: 'carol', displayName: 'Carol', passwordHash: 'x' },
        schemaVersion: 1,
        occurredAt: new Date().toISOString(),
        metadata: { correlationId: 'c', causationId: 'k', actorUserId: userId },
      })),
      'no_stream',
    );
    written = await db.store.readAll(0, 100);
  } finally {
    await db.close();
  }
}, 60_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

const chirp = (args: readonly string[], dir: string) => runChirp(args, { CHIRP_DATA_DIR: dir });

describe('chirp on the embedded database', () => {
  it('exports what the data directory holds and leaves it unlocked', async () => {
    const run = await chirp(['events', 'export'], dataDir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(written);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('a directory locked by a running Chirp: exit 1 with one line saying so, the lock untouched', async () => {
    const locked = dataDir;
    const lock = lockDataDir(locked); // this test process stands in for `npm start`
    try {
      const run = await chirp(['projections', 'status'], locked);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^chirp: the embedded database in ${locked} is in use by another Chirp process \\(pid ${process.pid}\\), probably \`npm start\`: .*\\n$`));
      expect(run.stderr).not.toMatch(noStack);
      expect(readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    } finally {
      lock.release();
    }
  });

  it('a directory without a database: exit 1, and nothing is created there', async () => {
    const missing = join(base, 'missing');
    const run = await chirp(['projections', 'list'], missing);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^chirp: no Chirp database in .*missing\/pglite: set CHIRP_DATA_DIR/);
    expect(existsSync(missing)).toBe(false);
  });
});
