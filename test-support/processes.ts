import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The repository root, where `npm start` and the entry points run. */
export const root = join(import.meta.dirname, '..');

export type Env = Record<string, string | undefined>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When the process (and every process holding its output) was gone. */
  at: number;
}

export interface ChirpProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  stderr(): string;
  /** Waits until the output matches; throws (with the output) if the process ends first or time runs out. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Resolves once the process has exited and closed its output (so have its children holding it). */
  readonly exited: Promise<Exit>;
  /** Sends a signal to the whole process group (npm, tsx, node), as a terminal or an orchestrator would. */
  signalGroup(signal: NodeJS.Signals): void;
  /**
   * Sends a signal to the Chirp service itself (the pid its banner prints), not to npm or tsx in
   * front of it. The tsx CLI relays a signal it receives and SIGKILLs the service if the service
   * does not acknowledge within ~60 ms, which a loaded machine does not always manage.
   */
  signalService(signal: NodeJS.Signals): void;
}

const running = new Set<ChirpProcess>();

/** Starts a command in its own process group, with the test's environment plus `env` (undefined removes a variable). */
export function startProcess(command: string, args: readonly string[], env: Env = {}): ChirpProcess {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  const child = spawn(command, args, { cwd: root, env: merged, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => {
    output += d;
    stderr += d;
  });
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, at: Date.now() })));
  let done = false;
  void exited.then(() => (done = true));
  const proc: ChirpProcess = {
    child,
    pid: child.pid!,
    output: () => output,
    stderr: () => stderr,
    exited,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const matches = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
      while (!matches()) {
        if (done) throw new Error(`${command} ${args.join(' ')} ended before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} did not print ${pattern} in time:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    signalService(signal) {
      const pid = /\(pid (\d+)\)/.exec(output)?.[1];
      if (!pid) throw new Error(`no "(pid N)" in the output of ${command} ${args.join(' ')}:\n${output}`);
      process.kill(Number(pid), signal);
    },
    signalGroup(signal) {
      if (done) return;
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Unsets every CHIRP_* variable of the test's environment, so that only what a test passes configures a process. */
export function withoutChirpSettings(): Env {
  return Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('CHIRP_')).map((k) => [k, undefined]));
}

/** An entry point run the way its npm script runs it, minus npm: `tsx platform/src/bin/<name>.ts`. */
export function startEntryPoint(name: 'start-all' | 'start-command-api' | 'start-query-api' | 'start-projectors' | 'start-relay' | 'seed', args: readonly string[] = [], env: Env = {}) {
  return startProcess(join(root, 'node_modules', '.bin', 'tsx'), [`platform/src/bin/${name}.ts`, ...args], env);
}

/** Runs to the end; kills the group if it takes longer than timeoutMs. */
export async function runToExit(proc: ChirpProcess, timeoutMs = 30_000): Promise<Exit & { output: string; stderr: string }> {
  const timer = setTimeout(() => proc.signalGroup('SIGKILL'), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return { ...exit, output: proc.output(), stderr: proc.stderr() };
}

/** SIGTERM to the group, then SIGKILL if it lingers: for test clean-up, not for assertions. */
export async function stopProcess(proc: ChirpProcess, timeoutMs = 15_000): Promise<Exit> {
  proc.signalGroup('SIGTERM');
  const timer = setTimeout(() => proc.signalGroup('SIGKILL'), timeoutMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  return exit;
}

/** Stops every process this test file started and has not seen end. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => stopProcess(p)));
}
