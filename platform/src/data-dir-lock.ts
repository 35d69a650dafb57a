import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * An exclusive lock on a data directory, held by one process: a file with its pid, created with
 * O_EXCL. Embedded PGlite has no lock of its own, and two processes on one directory would see
 * frozen snapshots of each other's writes or corrupt it. A lock whose pid is no longer running
 * (a crash, a kill -9) is stale and taken over.
 */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the data directory ${dir} is in use by another Chirp process (pid ${pid}, lock file ${join(dir, LOCK_FILE)}); stop it, or set CHIRP_DATA_DIR to another directory`);
    this.name = 'DataDirLockedError';
  }
}

export const LOCK_FILE = 'chirp.lock';

/** Locks this process holds: its own pid in a lock file is otherwise read as a stale leftover. */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  if (heldHere.has(file)) throw new DataDirLockedError(dir, process.pid);
  // A few rounds: each round either creates the lock, meets a live holder, or removes a stale one.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(file)) {
      heldHere.add(file);
      return {
        file,
        release() {
          if (heldHere.delete(file)) releaseIfOurs(file);
        },
      };
    }
    const holder = readPid(file);
    if (holder === 'gone') continue; // released meanwhile: try again
    if (holder !== 'garbage' && isRunning(holder)) throw new DataDirLockedError(dir, holder);
    takeOverStale(file, holder, dir);
  }
  throw new Error(`could not lock the data directory ${dir}: ${file} keeps changing`);
}

/** Creates the lock with its content in one step (link fails if it exists), so no reader sees it half-written. */
function tryCreate(file: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${process.pid}\n`, { mode: 0o644 });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/**
 * Removes a stale lock. Two processes may find the same stale lock at once; each moves the file
 * aside under its own name (a rename moves exactly one file, atomically) and checks that what it
 * moved is still the stale pid. If a faster process had already replaced it with a fresh lock, the
 * fresh one is put back and this process reports it as the holder.
 */
function takeOverStale(file: string, stale: number | 'garbage', dir: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readPid(aside);
  if (typeof moved === 'number' && moved !== stale && isRunning(moved)) {
    try {
      linkSync(aside, file); // put it back, unless someone else created a lock meanwhile
    } catch {
      // The directory is locked either way.
    }
    unlinkSync(aside);
    throw new DataDirLockedError(dir, moved);
  }
  unlinkSync(aside);
}

function releaseIfOurs(file: string): void {
  try {
    if (readPid(file) === process.pid) unlinkSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}

/** The holder's pid; 'garbage' for a file that is not a pid (never written by this code: stale). */
function readPid(file: string): number | 'gone' | 'garbage' {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,10}$/.test(text) ? Number(text) : 'garbage';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
}

function isRunning(pid: number): boolean {
  // Our own pid in a lock we do not hold can only be left from an earlier life of this pid (a
  // container's pid 1, restarted).
  if (pid === process.pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}
