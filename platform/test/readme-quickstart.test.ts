import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's quick start, exactly as written: `npm start` on a fresh data directory, then the
 * curl block a newcomer pastes into another terminal. If this fails, the README is lying.
 */
const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const curlBlock = /In another terminal:\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];

describe('README quick start', () => {
  let server: ChildProcess | undefined;
  let dataDir: string;
  let output = '';

  async function start() {
    output = '';
    const child = spawn('npm', ['start'], { cwd: root, env: { ...process.env, CHIRP_DATA_DIR: dataDir }, detached: true });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    server = child;
    const deadline = Date.now() + 60_000;
    while (!output.includes('query API')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function stop() {
    const child = server;
    server = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chirp-readme-'));
    await start();
  }, 90_000);

  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('prints both URLs', () => {
    expect(output).toContain('command API  http://127.0.0.1:3001');
    expect(output).toContain('query API    http://127.0.0.1:3002');
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
