import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/ports.ts';
import { runToExit, startProcess, stopAllProcesses, type ChirpProcess, type Env } from '../../test-support/processes.ts';

/**
 * `npm start` as a process: it owns its data directory, and SIGTERM stops it promptly with exit
 * code 0 even while a keep-alive client is in the middle of a request.
 */
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'chirp-lifecycle-'));
  dirs.push(dir);
  return dir;
};
const clean: Env = { CHIRP_DATABASE_URL: undefined, CHIRP_JWT_SECRET: undefined, NODE_ENV: undefined };

async function chirpEnv(dir: string): Promise<Env> {
  return { ...clean, CHIRP_DATA_DIR: dir, CHIRP_COMMAND_PORT: String(await freePort()), CHIRP_QUERY_PORT: String(await freePort()) };
}

function get(url: string, agent: Agent): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ res, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

afterAll(async () => {
  await stopAllProcesses();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('npm start', () => {
  let dir: string;
  let env: Env;
  let chirp: ChirpProcess;
  let appPid: number;

  beforeAll(async () => {
    dir = dataDir();
    env = { ...(await chirpEnv(dir)), CHIRP_CONSISTENCY_WAIT_MS: '4000' };
    chirp = startProcess('npm', ['start'], env);
    await chirp.waitFor('query API');
    appPid = Number(/\(pid (\d+)\)/.exec(chirp.output())?.[1]);
  }, 90_000);

  it('refuses a second npm start on the same data directory, naming the first, and leaves the first alone', async () => {
    const second = await runToExit(startProcess('npm', ['start'], { ...(await chirpEnv(dir)) }));
    expect(second.code, second.output).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`chirp: cannot open the database \\(embedded PGlite in .*\\): the data directory .* is in use by another Chirp process \\(pid ${appPid},`),
    );
    expect(second.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'chirp.lock'))).toBe(true);
    expect((await fetch(`http://127.0.0.1:${env.CHIRP_QUERY_PORT}/healthz`)).status).toBe(200);
  }, 60_000);

  it('on SIGTERM answers the request in flight with Connection: close and exits 0 within a few seconds', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const base = `http://127.0.0.1:${env.CHIRP_QUERY_PORT}`;
      expect((await get(`${base}/healthz`, agent)).res.headers.connection).toBe('keep-alive');
      // Waits up to CHIRP_CONSISTENCY_WAIT_MS (4 s) for a position no projection will reach.
      const inFlight = get(`${base}/v1/tweets/${randomUUID()}?minPosition=999999999`, agent);
      await new Promise((r) => setTimeout(r, 300));
      const signalledAt = Date.now();
      chirp.signalService('SIGTERM');
      const { res } = await inFlight;
      expect(res.headers.connection).toBe('close');
      expect(res.headers['chirp-stale']).toBe('true'); // answered at once, with what it had
      expect(res.statusCode).toBe(404);
      const exit = await chirp.exited;
      expect(exit.code, chirp.output()).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(5000);
      expect(chirp.output()).toContain('chirp: stopped');
      expect(existsSync(join(dir, 'chirp.lock'))).toBe(false);
    } finally {
      agent.destroy();
    }
  }, 30_000);
});
