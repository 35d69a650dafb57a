import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findPostgresBin, handToPostgres, initCluster, runAsPostgres, startCluster, stopCluster } from '../../test-support/postgres-binaries.ts';
import { freePort, waitForPort } from '../../test-support/ports.ts';
import { spawnRedis } from '../../test-support/redis-server.ts';
import { createDatabaseOn } from '../../test-support/server-database.ts';

export { freePort, waitForPort };

/**
 * Throwaway PostgreSQL and Redis for one benchmark run, and the clean-up registry that stops
 * them (and every child process) at the end — also on Ctrl-C / SIGTERM.
 */

type Cleanup = () => void | Promise<void>;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

/** Registers an undo step; they run newest first. */
export function onCleanup(step: Cleanup): void {
  cleanups.push(step);
}

export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch (error) {
        console.error(`clean-up step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}

let signalled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = true;
    console.error(`\n${signal}: stopping the benchmark and cleaning up…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

export interface Postgres {
  url: string;
  /** Stops the server, copies its data directory to `dir` (replacing it), starts it again. */
  snapshotTo(dir: string): Promise<void>;
}

/**
 * A throwaway PostgreSQL server (fsync off) in a temp dir, as test-support/global-setup.ts starts
 * one; with `from`, on a copy of a saved data directory (a fixture) instead of a new one.
 */
export async function startPostgres(from?: string): Promise<Postgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql: set CHIRP_BENCH_DATABASE_URL or apt-get install -y postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'chirp-bench-pg-'));
  const data = join(dir, 'data');
  handToPostgres(dir);
  const port = await freePort();
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  if (from) runAsPostgres('cp', ['-a', from, data]);
  else initCluster(bin, data);
  const start = () =>
    startCluster(bin, data, dir, port, { max_connections: 200, shared_buffers: '512MB', max_wal_size: '4GB', checkpoint_timeout: '30min' });
  let running = false;
  start();
  running = true;
  onCleanup(() => {
    if (running) stopCluster(bin, data, 'immediate');
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async snapshotTo(target: string) {
      stopCluster(bin, data, 'fast');
      running = false;
      rmSync(target, { recursive: true, force: true });
      mkdirSync(dirname(target), { recursive: true });
      handToPostgres(dirname(target));
      runAsPostgres('cp', ['-a', data, target]);
      start();
      running = true;
    },
  };
}

/** A throwaway `redis-server` without persistence. */
export async function startRedis(): Promise<string> {
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('no redis-server binary: set CHIRP_BENCH_REDIS_URL or apt-get install -y redis-server');
  }
  const redis = await spawnRedis();
  onCleanup(() => stopChild(redis.child));
  return redis.url;
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A fresh database on a given server (CHIRP_BENCH_DATABASE_URL), dropped at clean-up. */
export async function freshDatabase(adminUrl: string): Promise<string> {
  const database = await createDatabaseOn(adminUrl, `chirp_bench_${Date.now()}`);
  onCleanup(() => database.drop());
  return database.url;
}
