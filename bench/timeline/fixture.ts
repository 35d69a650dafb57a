import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Saved databases: generating the 100k-user graph is quick (~1 min), but letting the projections
 * catch up on ~900k events takes ~15–20 minutes on this machine (per-event SQL in the profiles
 * and home-timeline projections). So after a catch-up the PostgreSQL data directory is saved
 * under the OS temp dir, keyed by everything that shapes its content — the graph options, the
 * generator and the source of the domain, event store, projectors and timeline cache (uncommitted
 * edits included) — and later runs with the same key start from a copy of it. Any code change
 * there makes a new key, so a fixture never serves a stale projection. `--no-fixture` ignores it.
 */

const SOURCES = ['domain/src', 'event-store/src', 'projectors/src', 'timeline-cache/src', 'bench/timeline/graph-model.ts', 'bench/timeline/generate-graph.ts', 'bench/timeline/bulk-append.ts'];

export function fixtureKey(repoRoot: string, shape: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(shape));
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
    } else if (path.endsWith('.ts')) {
      hash.update(path.slice(repoRoot.length)).update(readFileSync(path));
    }
  };
  for (const s of SOURCES) visit(join(repoRoot, s));
  return hash.digest('hex').slice(0, 16);
}

export function fixtureDataDir(key: string): string {
  return join(tmpdir(), 'chirp-bench-fixtures', key, 'data');
}

export function hasFixture(key: string): boolean {
  return existsSync(join(tmpdir(), 'chirp-bench-fixtures', key, 'complete'));
}

export function markFixtureComplete(key: string, info: unknown): void {
  writeFileSync(join(tmpdir(), 'chirp-bench-fixtures', key, 'complete'), `${JSON.stringify(info)}\n`);
}

/** Deletes every saved database but `keep` (one at 100k users is ~3.3 GB; only the newest code's is useful). */
export function pruneFixtures(keep: string): void {
  const root = join(tmpdir(), 'chirp-bench-fixtures');
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) if (name !== keep) rmSync(join(root, name), { recursive: true, force: true });
}
