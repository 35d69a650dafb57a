import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { TestProject } from 'vitest/node';
import { spawnRedis } from '../../test-support/redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a real Redis server for the run; each test file uses its own key prefix on it. */
    redisUrl: string;
  }
}

/**
 * Real Redis for the whole run: CHIRP_TEST_REDIS_URL when set, otherwise a throwaway
 * `redis-server` from the local binary (no persistence), stopped at the end of the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.CHIRP_TEST_REDIS_URL;
  if (given) {
    project.provide('redisUrl', given);
    return async () => {};
  }
  if (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(
      'No Redis for the tests: CHIRP_TEST_REDIS_URL is not set and there is no redis-server binary ' +
        '(apt-get install -y redis-server; scripts/ensure-services.sh does it on CI).',
    );
  }
  const { url, child: server } = await spawnRedis();
  project.provide('redisUrl', url);
  return async () => {
    if (server.exitCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
  };
}
