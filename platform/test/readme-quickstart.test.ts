import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, stopAllProcesses, type ChirpProcess } from '../../test-support/processes.ts';

/**
 * The README's quick start, exactly as written: `npm start` on a fresh data directory, then the
 * curl block a newcomer pastes into another terminal. If this fails, the README is lying.
 */
const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const curlBlock = /In another terminal:\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];

describe('README quick start', () => {
  let server: ChirpProcess | undefined;
  let dataDir: string;
  let output = '';

  async function start() {
    server = startProcess('npm', ['start'], { CHIRP_DATA_DIR: dataDir });
    await server.waitFor('query API');
    output = server.output();
  }

  /** Stops the service itself and waits until it is gone (and has unlocked its data directory). */
  async function stop() {
    const chirp = server;
    server = undefined;
    if (!chirp) return;
    chirp.signalService('SIGTERM');
    const exit = await chirp.exited;
    expect(exit.code, chirp.output()).toBe(0);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chirp-readme-'));
    await start();
  }, 90_000);

  afterAll(async () => {
    try {
      await stop();
    } finally {
      await stopAllProcesses();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('prints both URLs', () => {
    expect(output).toContain('command API  http://127.0.0.1:3001');
    expect(output).toContain('query API    http://127.0.0.1:3002');
  });

  it('takes values later commands need from command answers, not from the eventually consistent query API', () => {
    // e.g. BOB_ID=$(curl localhost:3002/v1/users/bob …) right after registering races the projectors.
    const lines = curlBlock!.replaceAll('\\\n', ' ').split('\n');
    const captures = lines.filter((line) => /^\s*[A-Z_]+=\$\(/.test(line));
    expect(captures.length).toBeGreaterThan(0);
    for (const line of captures) if (line.includes(':3002')) expect(line).toContain('minPosition=');
  });

  it('runs every curl example as written', () => {
    expect(curlBlock).toBeDefined();
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', curlBlock!], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const out = run.stdout;
    // The retweet is in alice's timeline, with counts; the profile counts the follow.
    expect(out).toContain('"text":"Hello from #chirp, @alice!"');
    expect(out).toContain('"likeCount":1,"retweetCount":1');
    expect(out).toMatch(/"handle":"bob".*"followersCount":1/);
    expect(out).toContain('"name":"home-timeline"');
    expect(out).not.toContain('"status":4');
  });

  it('keeps the data, and the tokens, across a restart', async () => {
    const login = await fetch('http://127.0.0.1:3001/v1/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'alice', password: 'wonderland' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    await stop();
    await start();
    const profile = await fetch('http://127.0.0.1:3002/v1/users/bob');
    expect(await profile.json()).toMatchObject({ handle: 'bob', followersCount: 1, tweetsCount: 1 });
    const timeline = await fetch('http://127.0.0.1:3002/v1/timeline', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(timeline.status).toBe(200);
    expect(((await timeline.json()) as { items: unknown[] }).items).toHaveLength(1);
  }, 90_000);
});
