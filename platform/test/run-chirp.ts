import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from '../../test-support/processes.ts';

export const chirpBin = join(root, 'platform', 'bin', 'chirp.mjs');

export interface ChirpRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `chirp` CLI as a child process, with none of this process's CHIRP_* settings (or
 * NODE_ENV) leaking in: only `env` says which database it opens.
 */
export function runChirp(args: readonly string[], env: Record<string, string>): Promise<ChirpRun> {
  const child = spawnChirp(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The `chirp` CLI as a child process, configured by `env` alone (as runChirp), for commands that run until signalled. */
export function spawnChirp(args: readonly string[], env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHIRP_') && k !== 'NODE_ENV'));
  return spawn(process.execPath, [chirpBin, ...args], { cwd: root, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}
