import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, onCleanup, stopChild, waitForPort } from './infra.ts';
import { projectionsFor } from './timeline-wiring.ts';

/**
 * The system under test as separate processes, the distributed topology of `npm run start:*`:
 * the command API and the query API are the platform's own entry points; the projectors run in
 * projector-process.ts (the platform's projector entry point cannot yet be given the cache), one
 * process per heavy projection.
 * The load generators run in the benchmark's process, so they never share an event loop with
 * what they measure.
 */

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface SystemOptions {
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  celebrityThreshold: number;
  timelineMax: number;
  /** Run the hybrid home-timeline projection on Redis in the projector process. */
  projectorCache: boolean;
  /** The platform config's Redis URL key, when it has one (then the APIs get the cache too). */
  platformRedisKey: string | null;
  /** Profile every service process into this directory (`--profile`). */
  profileDir?: string;
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface System {
  commandUrl: string;
  queryUrl: string;
  projectors: RunningProcess[];
  projectorInfo: { hybrid: boolean; projections: string[] };
  stop(): Promise<void>;
}

export function serviceEnv(o: SystemOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    CHIRP_HOST: '127.0.0.1',
    CHIRP_DATABASE_URL: o.databaseUrl,
    CHIRP_JWT_SECRET: o.jwtSecret,
    CHIRP_CELEBRITY_THRESHOLD: String(o.celebrityThreshold),
    CHIRP_TIMELINE_MAX: String(o.timelineMax),
    CHIRP_SHUTDOWN_GRACE_MS: '1000',
  };
  // Without the projector cache (--no-projector-cache) the platform falls back to its SQL-table cache.
  if (o.projectorCache) env[o.platformRedisKey ?? 'CHIRP_REDIS_URL'] = o.redisUrl;
  return env;
}

export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv, name: string, profileDir?: string): RunningProcess {
  // The profile is written when the process exits (stop() lets it exit normally).
  const profile = profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.cpuprofile`]
    : [];
  // node --import tsx, not the tsx CLI: the CLI SIGKILLs its child shortly after relaying a signal.
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => {
    output += c.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = () => stopChild(child);
  onCleanup(stop);
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) console.error(`${name} exited with ${code}:\n${output.slice(-2000)}`);
  });
  return { child, output: () => output, stop };
}

async function startService(bin: string, portVar: string, env: NodeJS.ProcessEnv, name: string, profileDir?: string): Promise<{ url: string; proc: RunningProcess }> {
  const port = await freePort();
  const proc = spawnTs(join(repoRoot, 'platform', 'src', 'bin', bin), [], { ...env, [portVar]: String(port) }, name, profileDir);
  await waitForPort(port, proc.child, proc.output, 60_000);
  return { url: `http://127.0.0.1:${port}`, proc };
}

/**
 * The projection groups, one process each: the two that apply per-event SQL to every follow
 * (profiles, home-timeline) alone, the light ones together.
 */
export async function projectorGroups(): Promise<string[][]> {
  const { projections } = await projectionsFor(null, 1);
  const names = projections.map((p) => p.name);
  const heavy = ['home-timeline', 'profiles'].filter((n) => names.includes(n));
  const light = names.filter((n) => !heavy.includes(n));
  return [...heavy.map((n) => [n]), ...(light.length > 0 ? [light] : [])];
}

/**
 * One projector process for a group: the platform's own `start-projectors.ts --only …` when the
 * platform wires the timeline cache itself (it then reads CHIRP_REDIS_URL like the APIs), else
 * projector-process.ts, which wires the hybrid projection to Redis on its own.
 */
async function startProjectorProcess(
  env: NodeJS.ProcessEnv,
  group: string[],
  platform: boolean,
  profileDir?: string,
): Promise<{ proc: RunningProcess; info: { hybrid: boolean; projections: string[] } }> {
  const script = platform ? join(repoRoot, 'platform', 'src', 'bin', 'start-projectors.ts') : join(repoRoot, 'bench', 'timeline', 'projector-process.ts');
  const args = platform ? ['--only', group.join(',')] : [];
  const proc = spawnTs(script, args, { ...env, BENCH_ONLY: group.join(',') }, `projectors ${group.join(',')}`, profileDir);
  const info = await new Promise<{ hybrid: boolean; projections: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`projectors did not start within 60 s:\n${proc.output()}`)), 60_000);
    proc.child.stdout!.on('data', () => {
      const lines = proc.output().split('\n');
      const ready = lines.find((l) => l.startsWith('{"ready"'));
      // The platform's banner: "projectors running: a, b on <database> (pid n)".
      const banner = lines.find((l) => l.startsWith('projectors running: '));
      if (!ready && !banner) return;
      clearTimeout(timer);
      resolve(ready ? JSON.parse(ready) : { hybrid: Boolean(env.CHIRP_REDIS_URL), projections: group });
    });
    proc.child.once('exit', () => reject(new Error(`projectors exited:\n${proc.output()}`)));
  });
  return { proc, info };
}

/** Starts the projectors first (they create the read models' tables), then both APIs. */
export async function startSystem(o: SystemOptions): Promise<System> {
  const env = { ...serviceEnv(o), BENCH_PROJECTOR_CACHE: o.projectorCache ? '1' : '0' };
  const platform = o.platformRedisKey !== null;
  const started = await Promise.all((await projectorGroups()).map((g) => startProjectorProcess(env, g, platform, o.profileDir)));
  const projectorInfo = {
    hybrid: started.some((s) => s.info.hybrid),
    projections: started.flatMap((s) => s.info.projections),
  };
  const [command, query] = await Promise.all([
    startService('start-command-api.ts', 'CHIRP_COMMAND_PORT', env, 'command API', o.profileDir),
    startService('start-query-api.ts', 'CHIRP_QUERY_PORT', env, 'query API', o.profileDir),
  ]);
  return {
    commandUrl: command.url,
    queryUrl: query.url,
    projectors: started.map((s) => s.proc),
    projectorInfo,
    async stop() {
      await Promise.all([command.proc.stop(), query.proc.stop()]);
      await Promise.all(started.map((s) => s.proc.stop()));
    },
  };
}
