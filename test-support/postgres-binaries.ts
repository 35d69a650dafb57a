import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Throwaway PostgreSQL servers from the local binaries, for the tests and the benchmarks.
 * `initdb` refuses to run as root, so as root every command runs as the `postgres` user on
 * directories it owns.
 */

/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb, if any. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
}

const asRoot = () => process.getuid?.() === 0;

/** Makes a directory usable by the server's user (a no-op unless we are root). */
export function handToPostgres(dir: string): void {
  if (asRoot()) chownSync(dir, idOfPostgres('-u'), idOfPostgres('-g'));
}

/** Runs a command as the server's user; throws with its output when it fails. */
export function runAsPostgres(cmd: string, args: string[]): void {
  const result = asRoot()
    ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', [cmd, ...args].map(shellQuote).join(' ')], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
}

function idOfPostgres(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** initdb for a throwaway cluster: trust auth for `postgres`, UTF8, the new files not synced. */
export function initCluster(bin: string, data: string): void {
  runAsPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
}

/**
 * Starts a throwaway cluster on 127.0.0.1:`port`, its socket and log in `dir`, with durability
 * off (its data is thrown away) and the given extra settings; waits until it accepts connections.
 */
export function startCluster(bin: string, data: string, dir: string, port: number, settings: Readonly<Record<string, string | number>>): void {
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
}

export function stopCluster(bin: string, data: string, mode: 'fast' | 'immediate'): void {
  runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, 'stop']);
}
