import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.ts';

export const SECRET_FILE = 'jwt-secret';

/**
 * The signing secret: CHIRP_JWT_SECRET, or — for `npm start` on embedded PGlite only, where one
 * process on one machine both issues and verifies — one generated once into the data directory,
 * so tokens survive a restart. loadConfig already demands the variable everywhere else.
 */
export function resolveJwtSecret(config: Config): { secret: string; source: 'environment' | string } {
  if (config.CHIRP_JWT_SECRET) return { secret: config.CHIRP_JWT_SECRET, source: 'environment' };
  if (config.CHIRP_DATABASE_URL) throw new ConfigError('invalid configuration:\n  CHIRP_JWT_SECRET: is required with CHIRP_DATABASE_URL');
  const file = join(config.CHIRP_DATA_DIR, SECRET_FILE);
  return { secret: readOrCreateSecret(file), source: file };
}

/**
 * Creates the file with its content in one step (write a private temp file, then link it into
 * place, which fails if the file exists), so a process racing us never reads a half-written
 * secret; whoever loses the race (EEXIST) reads the winner's.
 */
export function readOrCreateSecret(file: string): string {
  const existing = readSecret(file);
  if (existing !== undefined) return existing;
  mkdirSync(join(file, '..'), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, secret, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = readSecret(file);
    if (winner === undefined) throw new Error(`${file} vanished while being created`);
    return winner;
  } finally {
    unlinkSync(temp);
  }
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.length < 32) throw new ConfigError(`${file} holds no usable secret (under 32 characters): delete it to generate a new one`);
  return text;
}
