import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';

/**
 * The signing secret: CHIRP_JWT_SECRET, or (outside production) one generated once and kept in
 * the data directory, so tokens survive a restart and separately started APIs on one machine agree.
 */
export function resolveJwtSecret(config: Config): { secret: string; source: 'environment' | string } {
  if (config.CHIRP_JWT_SECRET) return { secret: config.CHIRP_JWT_SECRET, source: 'environment' };
  const file = join(config.CHIRP_DATA_DIR, 'jwt-secret');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), source: file };
  } catch {
    mkdirSync(config.CHIRP_DATA_DIR, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return { secret, source: file };
  }
}
