import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.ts';
import { readOrCreateSecret, resolveJwtSecret, SECRET_FILE } from '../src/jwt-secret.ts';

const root = join(import.meta.dirname, '..', '..');

describe('JWT secret', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'chirp-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('npm start on PGlite generates one private secret into the data directory and reuses it', () => {
    const dir = tempDir();
    const config = ConfigSchema.parse({ CHIRP_DATA_DIR: join(dir, 'data') });
    const first = resolveJwtSecret(config);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(first.source).toBe(join(dir, 'data', SECRET_FILE));
    expect(statSync(first.source).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret(config).secret).toBe(first.secret);
  });

  it('prefers CHIRP_JWT_SECRET, and never generates one for PostgreSQL', () => {
    const secret = 'x'.repeat(40);
    expect(resolveJwtSecret(ConfigSchema.parse({ CHIRP_JWT_SECRET: secret })).secret).toBe(secret);
    expect(() => resolveJwtSecret(ConfigSchema.parse({ CHIRP_DATABASE_URL: 'postgres://h/db', CHIRP_DATA_DIR: tempDir() }))).toThrow(
      /CHIRP_JWT_SECRET: is required with CHIRP_DATABASE_URL/,
    );
  });

  it('refuses a secret file too short to sign with', () => {
    const file = join(tempDir(), SECRET_FILE);
    writeFileSync(file, 'short');
    expect(() => readOrCreateSecret(file)).toThrow(/no usable secret/);
  });

  it('gives every process the same secret when several create it at the same moment', async () => {
    const file = join(tempDir(), 'data', SECRET_FILE);
    const startAt = Date.now() + 3000; // every process spins until then, so they collide
    const script = `
      import { readOrCreateSecret } from './platform/src/jwt-secret.ts';
      while (Date.now() < ${startAt}) {}
      console.log(readOrCreateSecret(${JSON.stringify(file)}));`;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        return new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out: out.trim(), err })));
      }),
    );
    for (const r of results) expect(r.code, r.err).toBe(0);
    const secret = readFileSync(file, 'utf8');
    expect(results.map((r) => r.out)).toEqual(results.map(() => secret));
  });
});
