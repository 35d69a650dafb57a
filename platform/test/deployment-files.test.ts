import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadRelayConfig, RelayConfigSchema } from '@chirp/event-bus';
import { allProjections } from '@chirp/projectors/read-models/index';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OTEL_VARIABLES } from '@chirp/telemetry/sdk';
import { ConfigSchema, loadConfig, type EntryPoint } from '../src/config.ts';

/**
 * Static checks of the container files (Dockerfile, .dockerignore, docker-compose.yml) against the
 * code: nothing here starts a container. Each check returns the problems it finds, so the second
 * half of this file can show every check failing on a broken copy.
 *
 * DEPLOYMENT_FILES_COMPOSE / DEPLOYMENT_FILES_DOCKERFILE point the first half at other files
 * (e.g. a deliberately broken copy in a temp directory) to see the test fail for real.
 */

const root = resolve(import.meta.dirname, '../..');
const composePath = process.env.DEPLOYMENT_FILES_COMPOSE ?? resolve(root, 'docker-compose.yml');
const dockerfilePath = process.env.DEPLOYMENT_FILES_DOCKERFILE ?? resolve(root, 'Dockerfile');
const read = (path: string) => readFileSync(path, 'utf8');
const packageJson = JSON.parse(read(resolve(root, 'package.json'))) as {
  workspaces: string[];
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
};

/**
 * The relay's variables are not in platform/src/config.ts: they live in the relay's own schema
 * (event-bus/src/relay-config.ts, RelayConfigSchema), which was being written alongside this test.
 * This explicit list is what the topology relies on; a test below checks that the relay's schema
 * still defines each name, so a rename shows up here rather than as a relay that ignores its
 * setting. CHIRP_EVENTSTORE_URL was on this list until config.ts defined it.
 */
const RELAY_VARIABLES = ['CHIRP_KAFKA_BROKERS', 'CHIRP_KAFKA_TOPIC', 'CHIRP_KAFKA_CLIENT_ID', 'CHIRP_RELAY_BATCH_SIZE', 'CHIRP_RELAY_NAME'];
const RELAY_ENTRY = 'platform/src/bin/start-relay.ts';

/** What every Chirp process reads: its configuration and the standard OpenTelemetry variables. */
const CONFIG_VARIABLES = new Set([...Object.keys(ConfigSchema.shape), ...OTEL_VARIABLES]);
/** Only the relay reads the relay's variables here: the compose projectors run on the store feed (with CHIRP_FEED=kafka they would read the brokers and topic too). */
const RELAY_KNOWN_VARIABLES = new Set([...CONFIG_VARIABLES, ...Object.keys(RelayConfigSchema.shape), ...RELAY_VARIABLES]);
const CONFIG_DEFAULTS = ConfigSchema.parse({});
/** platform/src/bin/*: runService's stopWithin(CHIRP_SHUTDOWN_GRACE_MS + 25 s). */
const SHUTDOWN_LIMIT_MS = CONFIG_DEFAULTS.CHIRP_SHUTDOWN_GRACE_MS + 25_000;

type Compose = { services?: Record<string, Service> } & Record<string, unknown>;
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number; published?: string | number }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  stop_grace_period?: string;
}

type Role = 'command-api' | 'query-api' | 'projectors' | 'relay' | 'all' | 'unknown';
interface ChirpService {
  name: string;
  service: Service;
  role: Role;
  args: string[];
  env: Record<string, string>;
}

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `$$`, with no variables set. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, _name, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    return op === ':-' || op === '-' ? (arg ?? '') : '';
  });
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)] as const) : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v === null || v === undefined ? '' : String(v))]));
}

const commandOf = (service: Service): string[] => (typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []));

/** The entry files `npm run start*` runs: "node --import tsx <file>". */
function startScripts(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [name, script] of Object.entries(packageJson.scripts)) {
    const m = /^node --import tsx (\S+)$/.exec(script);
    if (name.startsWith('start') && m) entries.set(m[1]!, name);
  }
  return entries;
}

const ROLE_BY_ENTRY: Record<string, Role> = {
  'platform/src/bin/start-all.ts': 'all',
  'platform/src/bin/start-command-api.ts': 'command-api',
  'platform/src/bin/start-query-api.ts': 'query-api',
  'platform/src/bin/start-projectors.ts': 'projectors',
  [RELAY_ENTRY]: 'relay',
};

/** Chirp's own services: the ones built from the Dockerfile. */
function chirpServices(compose: Compose): ChirpService[] {
  return Object.entries(compose.services ?? {})
    .filter(([, s]) => s.build !== undefined)
    .map(([name, service]) => {
      const command = commandOf(service);
      const entry = command.slice(0, 3).join(' ') === 'node --import tsx' ? command[3] : undefined;
      return { name, service, role: (entry && ROLE_BY_ENTRY[entry]) || 'unknown', args: command.slice(4), env: environmentOf(service) };
    });
}

function publishedPorts(service: Service): Array<{ host: number; container: number }> {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: Number(p.published), container: Number(p.target) };
    const parts = String(p).split(':');
    return { host: Number(parts.at(-2) ?? parts.at(-1)), container: Number(parts.at(-1)) };
  });
}

function seconds(duration: string | undefined): number {
  if (!duration) return 10; // Docker's default
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  return total;
}

const isTelemetry = (service: Service) => /opentelemetry-collector|jaeger/.test(service.image ?? '');

function hostsOf(url: string | undefined): string[] {
  if (!url) return [];
  if (!url.includes('://')) return url.split(',').map((b) => b.trim().replace(/:\d+$/, '')); // host:port,…
  try {
    return [new URL(url).hostname];
  } catch {
    return [];
  }
}

function readmePorts(readme: string): { command: Set<number>; query: Set<number> } {
  const command = new Set<number>();
  const query = new Set<number>();
  for (const line of readme.split('\n')) {
    if (!line.includes('curl')) continue;
    for (const [, port] of line.matchAll(/localhost:(\d+)\//g)) (/-X (POST|PUT|PATCH|DELETE)\b/.test(line) ? command : query).add(Number(port));
  }
  return { command, query };
}

function composeProblems(compose: Compose, readme: string): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const names = Object.keys(services);
  if (names.length === 0) return ['no services'];

  for (const [name, s] of Object.entries(services)) {
    if (!s.image && s.build === undefined) problems.push(`${name}: neither image nor build`);
    const test = s.healthcheck?.test;
    // The telemetry images are distroless: nothing inside can probe them (docker-compose.yml says so).
    if (!isTelemetry(s) && (!s.healthcheck || s.healthcheck.disable || !test || test.length === 0 || (Array.isArray(test) && test[0] === 'NONE')))
      problems.push(`${name}: no health check`);
    const deps = s.depends_on ?? {};
    if (Array.isArray(deps)) problems.push(`${name}: depends_on is a list (no condition: service_healthy)`);
    else
      for (const [target, spec] of Object.entries(deps)) {
        const dependency = services[target];
        if (!dependency) problems.push(`${name}: depends_on ${target}, which is not a service`);
        // Telemetry must never keep Chirp down: its services are waited for to start, not to be healthy.
        else if (isTelemetry(dependency)) {
          if (spec?.condition !== 'service_started') problems.push(`${name}: depends_on ${target} (telemetry) without condition: service_started`);
        } else if (spec?.condition !== 'service_healthy') problems.push(`${name}: depends_on ${target} without condition: service_healthy`);
      }
  }

  // Infrastructure of the distributed topology.
  const images = Object.values(services).map((s) => s.image ?? '');
  if (!images.some((i) => /eventstore\/eventstore|kurrentdb/.test(i))) problems.push('no EventStoreDB service');
  if (!images.some((i) => /kafka/.test(i))) problems.push('no Kafka service');
  if (images.some((i) => /zookeeper/.test(i))) problems.push('a ZooKeeper service: Kafka should run in KRaft mode');
  if (!images.some((i) => /^postgres:16\b/.test(i))) problems.push('no PostgreSQL 16 service');
  if (!images.some((i) => /^redis:7\b/.test(i))) problems.push('no Redis 7 service');
  if (!images.some((i) => /opentelemetry-collector/.test(i))) problems.push('no OpenTelemetry Collector service');
  if (!images.some((i) => /jaeger/.test(i))) problems.push('no trace UI (Jaeger) service');

  const chirp = chirpServices(compose);
  const scripts = startScripts();
  const byRole = (role: Role) => chirp.filter((c) => c.role === role);
  for (const role of ['command-api', 'query-api', 'relay', 'projectors'] as const)
    if (byRole(role).length === 0) problems.push(`no ${role} service`);

  const shared = ['CHIRP_DATABASE_URL', 'CHIRP_EVENTSTORE_URL', 'CHIRP_REDIS_URL', 'CHIRP_JWT_SECRET', 'CHIRP_TIMELINE_MAX', 'CHIRP_INACTIVE_DAYS', 'CHIRP_CELEBRITY_THRESHOLD'];
  for (const c of chirp) {
    const entry = commandOf(c.service)[3];
    if (c.role === 'unknown') {
      problems.push(`${c.name}: command is not "node --import tsx <a platform/src/bin entry point>": ${JSON.stringify(c.service.command)}`);
      continue;
    }
    if (!scripts.has(entry!)) problems.push(`${c.name}: ${entry} is no npm start script's entry point`);
    else if (!existsSync(resolve(root, entry!))) problems.push(`${c.name}: ${entry} does not exist`);

    const known = c.role === 'relay' ? RELAY_KNOWN_VARIABLES : CONFIG_VARIABLES;
    for (const key of Object.keys(c.env)) if (!known.has(key)) problems.push(`${c.name}: sets ${key}, which its process does not read`);

    // What the entry point demands, with the image's NODE_ENV=production (as the container sees it).
    const env = { NODE_ENV: 'production', ...c.env };
    const entryPoint: EntryPoint = c.role === 'relay' ? 'projectors' : c.role; // start-relay.ts checks the platform config as the projectors do
    try {
      loadConfig(env, entryPoint);
      if (c.role === 'relay') loadRelayConfig(env);
    } catch (error) {
      problems.push(`${c.name}: ${(error as Error).message.replace(/\s+/g, ' ')}`);
    }
    const required = ['CHIRP_DATABASE_URL', 'CHIRP_EVENTSTORE_URL'];
    if (c.role === 'command-api' || c.role === 'query-api') required.push('CHIRP_JWT_SECRET', 'CHIRP_HOST');
    if (c.role === 'relay') required.push('CHIRP_KAFKA_BROKERS');
    for (const key of required) if (!c.env[key]) problems.push(`${c.name}: ${key} is not set`);
    if (c.env.CHIRP_EVENTSTORE_URL && !/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb):\/\//.test(c.env.CHIRP_EVENTSTORE_URL))
      problems.push(`${c.name}: CHIRP_EVENTSTORE_URL is not an esdb:// URL`);

    // Every server a URL names is a service this one waits for.
    const deps = Array.isArray(c.service.depends_on) ? c.service.depends_on : Object.keys(c.service.depends_on ?? {});
    if (!c.env.OTEL_EXPORTER_OTLP_ENDPOINT) problems.push(`${c.name}: OTEL_EXPORTER_OTLP_ENDPOINT is not set: its traces and metrics go nowhere`);
    for (const key of ['CHIRP_DATABASE_URL', 'CHIRP_EVENTSTORE_URL', 'CHIRP_REDIS_URL', 'CHIRP_KAFKA_BROKERS', 'OTEL_EXPORTER_OTLP_ENDPOINT'])
      for (const host of hostsOf(c.env[key])) {
        if (!services[host]) problems.push(`${c.name}: ${key} names ${host}, which is not a service`);
        else if (!deps.includes(host)) problems.push(`${c.name}: ${key} names ${host}, but it does not depend on ${host}`);
      }

    if (seconds(c.service.stop_grace_period) * 1000 < SHUTDOWN_LIMIT_MS)
      problems.push(`${c.name}: stop_grace_period ${c.service.stop_grace_period ?? '10s (default)'} is shorter than the ${SHUTDOWN_LIMIT_MS / 1000} s a shutdown may take`);
  }

  // One log, one database, one cache, one token secret: processes that disagree split the system.
  for (const key of shared) {
    const values = new Set(chirp.map((c) => c.env[key]).filter((v) => v)); // a process that does not use it may leave it out
    if (values.size > 1) problems.push(`Chirp services disagree on ${key}: ${[...values].map((v) => JSON.stringify(v)).join(', ')}`);
  }

  // Ports: the APIs publish the configured ports on the same host ports as npm start, which the README's curls use.
  const readmeUses = readmePorts(readme);
  for (const [role, variable, readmeSet] of [
    ['command-api', 'CHIRP_COMMAND_PORT', readmeUses.command],
    ['query-api', 'CHIRP_QUERY_PORT', readmeUses.query],
  ] as const) {
    const defaultPort = CONFIG_DEFAULTS[variable];
    for (const c of byRole(role)) {
      const port = Number(c.env[variable] ?? defaultPort);
      const published = publishedPorts(c.service);
      if (!published.some((p) => p.container === port && p.host === defaultPort))
        problems.push(`${c.name}: does not publish ${defaultPort}:${port} (${variable}); publishes ${JSON.stringify(c.service.ports ?? [])}`);
      if (c.env.CHIRP_HOST !== '0.0.0.0') problems.push(`${c.name}: CHIRP_HOST must be 0.0.0.0 to be reachable through its published port`);
      const health = JSON.stringify(c.service.healthcheck?.test ?? '');
      if (!health.includes('/healthz') || !health.includes(String(port))) problems.push(`${c.name}: health check does not GET /healthz on port ${port}`);
    }
    if (readmeSet.size !== 1 || !readmeSet.has(defaultPort)) problems.push(`README's ${role} curls use ports ${[...readmeSet].join(', ')}, not ${defaultPort}`);
  }

  // Projector groups: every projection exactly once.
  const runs = new Map<string, string[]>();
  for (const c of byRole('projectors')) {
    let only: string | undefined;
    c.args.forEach((a, i) => {
      if (a === '--only') only = c.args[i + 1];
      else if (a.startsWith('--only=')) only = a.slice('--only='.length);
    });
    const names = only === undefined ? allProjections.map((p) => p.name) : only.split(',').map((s) => s.trim()).filter(Boolean);
    for (const n of names) runs.set(n, [...(runs.get(n) ?? []), c.name]);
  }
  for (const p of allProjections) {
    const groups = runs.get(p.name) ?? [];
    if (groups.length !== 1) problems.push(`projection ${p.name} runs in ${groups.length} projector services${groups.length ? ` (${groups.join(', ')})` : ''}, not exactly one`);
  }
  for (const n of runs.keys()) if (!allProjections.some((p) => p.name === n)) problems.push(`projector services name ${n}, which is no projection`);

  return problems;
}

/** Stages of a Dockerfile: FROM lines with their instructions. */
function stagesOf(dockerfile: string) {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Array<{ from: string; name?: string; lines: string[] }> = [];
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const upper = instruction!.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.join(' ').split('=');
      if (v !== undefined) args.set(k!, v);
    } else if (upper === 'FROM') {
      const image = rest.filter((r) => !r.startsWith('--'))[0]!.replace(/\$\{?(\w+)\}?/g, (_m, k: string) => args.get(k) ?? '');
      const as = rest.findIndex((r) => r.toUpperCase() === 'AS');
      stages.push({ from: image, ...(as >= 0 ? { name: rest[as + 1] } : {}), lines: [] });
    } else stages.at(-1)?.lines.push(`${upper} ${rest.join(' ')}`);
  }
  return stages;
}

function dockerfileProblems(dockerfile: string, dockerignore: string): string[] {
  const problems: string[] = [];
  const stages = stagesOf(dockerfile);
  if (stages.length < 2) return [`not a multi-stage build (${stages.length} stage)`];
  const runtime = stages.at(-1)!;
  const earlier = stages.slice(0, -1);
  if (!/^node:24(\.[\d.]+)?-(bookworm-)?slim$/.test(runtime.from)) problems.push(`runtime stage is ${runtime.from}, not node:24-slim or node:24-bookworm-slim`);
  const install = stages.flatMap((s) => s.lines.map((l) => ({ stage: s, line: l }))).find((x) => /^RUN .*\bnpm ci\b/.test(x.line));
  if (!install || !/npm ci\b[^&|;]*--omit=dev/.test(install.line)) problems.push('no RUN npm ci --omit=dev');
  else if (install.stage === runtime) problems.push('npm ci runs in the runtime stage, not a deps stage');
  else if (!runtime.lines.some((l) => new RegExp(`^COPY --from=${install.stage.name ?? earlier.indexOf(install.stage)}\\b`).test(l)))
    problems.push(`the runtime stage copies nothing from the ${install.stage.name ?? 'deps'} stage`);
  const user = runtime.lines.filter((l) => l.startsWith('USER ')).at(-1)?.slice(5).trim();
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`runtime stage runs as ${user ?? 'root (no USER)'}`);
  if (!runtime.lines.some((l) => /^ENV .*\bNODE_ENV=production\b/.test(l))) problems.push('runtime stage does not set NODE_ENV=production');
  // `--omit=dev` leaves devDependencies out, and every service runs `node --import tsx`.
  if (!packageJson.dependencies?.tsx) problems.push('tsx is not in package.json dependencies, so npm ci --omit=dev leaves it out');
  const copies = stages.flatMap((s) => s.lines).filter((l) => l.startsWith('COPY ') && !l.startsWith('COPY --from'));
  for (const ws of packageJson.workspaces) {
    if (!copies.some((l) => new RegExp(`\\s${ws}/package\\.json\\s`).test(l))) problems.push(`workspace ${ws}: package.json not copied for npm ci`);
    if (!runtime.lines.some((l) => new RegExp(`^COPY ${ws}/src\\s`).test(l))) problems.push(`workspace ${ws}: src not copied into the runtime stage`);
  }
  const ignored = dockerignore.split('\n').map((l) => l.trim());
  for (const must of ['node_modules', 'data', '.tmp', 'bench', '.git'])
    if (!ignored.some((l) => l === must || l === `**/${must}` || l === `${must}/`)) problems.push(`.dockerignore does not exclude ${must}`);
  return problems;
}

const compose = () => parse(read(composePath), { merge: true }) as Compose;
const readme = () => read(resolve(root, 'README.md'));
const dockerignore = () => read(resolve(root, '.dockerignore'));

describe('deployment files', () => {
  it('docker-compose.yml describes the distributed topology the code expects', () => {
    expect(composeProblems(compose(), readme())).toEqual([]);
  });

  it('the Dockerfile is a multi-stage, production-only, non-root build of every workspace', () => {
    expect(dockerfileProblems(read(dockerfilePath), dockerignore())).toEqual([]);
  });

  it("the relay's variables are the ones its schema defines", () => {
    expect(RELAY_VARIABLES.filter((k) => !(k in RelayConfigSchema.shape))).toEqual([]);
  });

  it('docs/deployment.md lists every variable the compose file sets', () => {
    const doc = read(resolve(root, 'docs/deployment.md'));
    const set = new Set(chirpServices(compose()).flatMap((c) => Object.keys(c.env)));
    expect([...set].filter((k) => !doc.includes(`\`${k}\``))).toEqual([]);
  });
});

describe('the deployment checks catch', () => {
  const broken = (edit: (c: Compose) => void) => {
    const c = compose();
    edit(c);
    return composeProblems(c, readme());
  };
  const svc = (c: Compose, name: string) => c.services![name]!;

  it('a service without a health check, image or build', () => {
    expect(broken((c) => delete svc(c, 'redis').healthcheck)).toContain('redis: no health check');
    expect(broken((c) => delete svc(c, 'redis').image)).toContain('redis: neither image nor build');
  });

  it('a variable the code does not read, and a missing required one', () => {
    expect(broken((c) => ((svc(c, 'query-api').environment as Record<string, string>).CHIRP_QUERY_PROT = '3002'))).toContain(
      'query-api: sets CHIRP_QUERY_PROT, which its process does not read',
    );
    expect(broken((c) => ((svc(c, 'query-api').environment as Record<string, string>).CHIRP_KAFKA_TOPIC = 'chirp.events'))).toContain(
      'query-api: sets CHIRP_KAFKA_TOPIC, which its process does not read',
    );
    const problems = broken((c) => delete (svc(c, 'command-api').environment as Record<string, string>).CHIRP_JWT_SECRET);
    expect(problems).toContain('command-api: CHIRP_JWT_SECRET is not set');
    expect(problems.join('\n')).toMatch(/command-api: invalid configuration: CHIRP_JWT_SECRET: is required when NODE_ENV=production/);
    const relay = broken((c) => delete (svc(c, 'relay').environment as Record<string, string>).CHIRP_KAFKA_BROKERS);
    expect(relay).toContain('relay: CHIRP_KAFKA_BROKERS is not set');
    const badBroker = broken((c) => ((svc(c, 'relay').environment as Record<string, string>).CHIRP_KAFKA_BROKERS = 'kafka'));
    expect(badBroker.join('\n')).toMatch(/relay: invalid configuration: CHIRP_KAFKA_BROKERS/);
    const split = broken((c) => ((svc(c, 'query-api').environment as Record<string, string>).CHIRP_EVENTSTORE_URL = 'esdb://other:2113?tls=false'));
    expect(split.join('\n')).toMatch(/Chirp services disagree on CHIRP_EVENTSTORE_URL/);
  });

  it('a wrong port, and a dependency that is not waited for', () => {
    expect(broken((c) => (svc(c, 'query-api').ports = ['3003:3002'])).join('\n')).toMatch(/query-api: does not publish 3002:3002/);
    expect(broken((c) => ((svc(c, 'relay').depends_on as Record<string, unknown>).kafka = { condition: 'service_started' }))).toContain(
      'relay: depends_on kafka without condition: service_healthy',
    );
    expect(broken((c) => delete (svc(c, 'relay').depends_on as Record<string, unknown>).kafka)).toContain(
      'relay: CHIRP_KAFKA_BROKERS names kafka, but it does not depend on kafka',
    );
    expect(broken((c) => ((svc(c, 'relay').depends_on as Record<string, unknown>).zookeeper = { condition: 'service_healthy' }))).toContain(
      'relay: depends_on zookeeper, which is not a service',
    );
  });

  it('telemetry that is missing, not waited for, or able to keep Chirp down', () => {
    expect(broken((c) => delete c.services!.jaeger)).toContain('no trace UI (Jaeger) service');
    expect(broken((c) => delete (svc(c, 'query-api').environment as Record<string, string>).OTEL_EXPORTER_OTLP_ENDPOINT)).toContain(
      'query-api: OTEL_EXPORTER_OTLP_ENDPOINT is not set: its traces and metrics go nowhere',
    );
    expect(broken((c) => delete (svc(c, 'relay').depends_on as Record<string, unknown>)['otel-collector'])).toContain(
      'relay: OTEL_EXPORTER_OTLP_ENDPOINT names otel-collector, but it does not depend on otel-collector',
    );
    expect(broken((c) => ((svc(c, 'relay').depends_on as Record<string, unknown>)['otel-collector'] = { condition: 'service_healthy' }))).toContain(
      'relay: depends_on otel-collector (telemetry) without condition: service_started',
    );
  });

  it('a projection run twice or not at all', () => {
    const drop = broken((c) => (svc(c, 'projectors-read-models').command = ['node', '--import', 'tsx', 'platform/src/bin/start-projectors.ts', '--only', 'profiles,tweets']));
    expect(drop.join('\n')).toMatch(/projection search runs in 0 projector services/);
    const twice = broken((c) => (svc(c, 'projectors-timelines').command = ['node', '--import', 'tsx', 'platform/src/bin/start-projectors.ts']));
    expect(twice.join('\n')).toMatch(/projection profiles runs in 2 projector services/);
  });

  it('a single-stage, root, dev-dependency Dockerfile', () => {
    const dockerfile = read(dockerfilePath);
    expect(dockerfileProblems(dockerfile.replace(/^USER .*$/m, ''), dockerignore())).toContain('runtime stage runs as root (no USER)');
    expect(dockerfileProblems(dockerfile.replace('--omit=dev', ''), dockerignore())).toContain('no RUN npm ci --omit=dev');
    expect(dockerfileProblems('FROM node:24-slim\nRUN npm ci --omit=dev\nUSER node\n', dockerignore())[0]).toMatch(/not a multi-stage build/);
    expect(dockerfileProblems(dockerfile.replace(/^COPY query-api\/src .*$/m, ''), dockerignore())).toContain('workspace query-api: src not copied into the runtime stage');
  });
});
