import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './ports.ts';
import { findPostgresBin, handToPostgres, initCluster, startCluster, stopCluster } from './postgres-binaries.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of a real PostgreSQL server; each test file makes its own database on it. */
    databaseUrl: string;
  }
}

/**
 * Real PostgreSQL for the whole run: CHIRP_TEST_DATABASE_URL when set, otherwise a throwaway
 * server started from the local binaries in a temp dir (fsync off: it is thrown away anyway),
 * otherwise a testcontainers PostgreSQL where a container runtime exists.
 */
export default async function setup(project: TestProject): Promise<() => void | Promise<void>> {
  const given = process.env.CHIRP_TEST_DATABASE_URL;
  if (given) {
    project.provide('databaseUrl', given);
    return () => {};
  }
  const bin = findPostgresBin();
  if (!bin) return startContainer(project);
  const dir = mkdtempSync(join(tmpdir(), 'chirp-pg-'));
  const data = join(dir, 'data');
  handToPostgres(dir);
  const port = await freePort();
  initCluster(bin, data);
  startCluster(bin, data, dir, port, { max_connections: 300 });
  project.provide('databaseUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      stopCluster(bin, data, 'immediate');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}


/** Last resort, where neither a URL nor local binaries exist: a PostgreSQL container, if Docker runs. */
async function startContainer(project: TestProject): Promise<() => Promise<void>> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new Error(
      'No PostgreSQL for the tests: CHIRP_TEST_DATABASE_URL is not set, there are no binaries under ' +
        '/usr/lib/postgresql (apt-get install -y postgresql), and no container runtime answered ' +
        `(${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const container = await new GenericContainer('postgres:17-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'max_connections=300'])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  project.provide('databaseUrl', `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`);
  return async () => {
    await container.stop();
  };
}

