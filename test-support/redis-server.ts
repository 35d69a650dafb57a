import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './ports.ts';

export interface ThrowawayRedis {
  url: string;
  child: ChildProcess;
}

/**
 * A `redis-server` on a free port, without persistence, for the test run and the benchmark
 * (the caller checks that the binary exists, to say how to get one, and stops the child).
 */
export async function spawnRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForPort(port, child, () => output, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, child };
}
