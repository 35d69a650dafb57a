import { z } from 'zod';
// The relay's parsing of the Kafka variables, reused (deep import: the package index loads kafkajs).
import { RelayConfigSchema } from '@chirp/event-bus/relay-config';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().min(0).max(600_000);

/** Every environment variable Chirp reads, with its default. README's configuration table mirrors this. */
export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    CHIRP_HOST: z.string().min(1).default('127.0.0.1'),
    CHIRP_COMMAND_PORT: port.default(3001),
    CHIRP_QUERY_PORT: port.default(3002),
    CHIRP_DATA_DIR: z.string().min(1).default('./data'),
    CHIRP_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    CHIRP_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    // The event log on EventStoreDB instead of PostgreSQL; read models stay in CHIRP_DATABASE_URL.
    CHIRP_EVENTSTORE_URL: z
      .string()
      .regex(/^esdb(\+discover)?:\/\//, 'must be an esdb:// or esdb+discover:// URL')
      .optional(),
    CHIRP_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
    CHIRP_CONSISTENCY_WAIT_MS: positiveMs.default(2000),
    CHIRP_SHUTDOWN_GRACE_MS: positiveMs.default(5000),
    CHIRP_OPERATOR_HANDLES: z
      .string()
      .default('')
      .transform((s) => new Set(s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))),
    CHIRP_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveMs.default(60_000),
    CHIRP_REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    CHIRP_TIMELINE_MAX: z.coerce.number().int().min(1).max(10_000).default(800),
    CHIRP_CELEBRITY_THRESHOLD: z.coerce.number().int().min(1).default(10_000),
    CHIRP_RECORD_CACHE_MS: positiveMs.default(1000),
    CHIRP_PULLED_LIST_CACHE_MS: positiveMs.default(250),
    CHIRP_INACTIVE_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
    CHIRP_TREND_MIN_AUTHORS: z.coerce.number().int().min(1).max(1_000_000).default(5),
    // Where projectors read events: the event store (default) or the relay's Kafka topic
    // (docs/event-bus.md, "The consumer side"); `kafka` needs the CHIRP_KAFKA_* variables.
    CHIRP_FEED: z.enum(['store', 'kafka']).default('store'),
    // The command API as the operators' dashboard (served by the query API) reaches it from a browser.
    CHIRP_DASHBOARD_COMMAND_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    // JSON log lines on stdout (pino): one per request and per projector batch at info.
    CHIRP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    // Port 0 means "any free port", so two zeros do not collide.
    if (c.CHIRP_COMMAND_PORT === c.CHIRP_QUERY_PORT && c.CHIRP_COMMAND_PORT !== 0)
      ctx.addIssue({ code: 'custom', path: ['CHIRP_QUERY_PORT'], message: `must differ from CHIRP_COMMAND_PORT (both are ${c.CHIRP_COMMAND_PORT})` });
  });

export type Config = z.infer<typeof ConfigSchema>;

/**
 * The command API's URL for the dashboard's page: CHIRP_DASHBOARD_COMMAND_URL, else where the
 * command API listens by this configuration (a wildcard address shown as localhost, the host a
 * browser on the same machine can use).
 */
export function dashboardCommandUrl(config: Config): string {
  if (config.CHIRP_DASHBOARD_COMMAND_URL) return config.CHIRP_DASHBOARD_COMMAND_URL;
  const host = config.CHIRP_HOST === '0.0.0.0' || config.CHIRP_HOST === '::' ? 'localhost' : config.CHIRP_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.CHIRP_COMMAND_PORT}`;
}

/** Which process is starting: `npm start` runs everything; the others are the distributed topology. */
export type EntryPoint = 'all' | 'command-api' | 'query-api' | 'projectors';

export class ConfigError extends Error {}

/** Reads and validates the environment; a bad value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, entryPoint: EntryPoint = 'all'): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => (k.startsWith('CHIRP_') || k === 'NODE_ENV') && v !== ''));
  const parsed = ConfigSchema.safeParse(relevant);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  issues.push(...entryPointIssues(relevant, entryPoint), ...kafkaFeedIssues(relevant));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(`invalid configuration:\n${issues.map((l) => `  ${l}`).join('\n')}`);
  return parsed.data;
}

/** Where projectors fed by Kafka read: the relay's broker and topic settings. */
export interface KafkaFeedConfig {
  brokers: string[];
  topic: string;
  clientId: string;
}

/** Default client id of Kafka-fed projectors (CHIRP_KAFKA_CLIENT_ID overrides it, as for the relay). */
export const PROJECTORS_KAFKA_CLIENT_ID = 'chirp-projectors';

/**
 * The relay's own definitions of the variables the projectors share with it (one rule for a broker
 * list and a topic name); the relay-only ones (batch size, partitions, checkpoint name) are not
 * checked here, so a bad relay setting does not stop the projectors.
 */
const KafkaFeedSchema = RelayConfigSchema.pick({ CHIRP_KAFKA_BROKERS: true, CHIRP_KAFKA_TOPIC: true, CHIRP_KAFKA_CLIENT_ID: true });

function parseKafkaFeed(env: Record<string, string | undefined>): { config: KafkaFeedConfig } | { issues: string[] } {
  // The relay's message for a missing broker list names start:relay; say why the projectors need it.
  if (!env.CHIRP_KAFKA_BROKERS) return { issues: ['CHIRP_KAFKA_BROKERS: is required with CHIRP_FEED=kafka: comma-separated host:port of Kafka brokers'] };
  const relevant = Object.fromEntries(Object.keys(KafkaFeedSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = KafkaFeedSchema.safeParse(relevant);
  if (!parsed.success) return { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  return {
    config: {
      brokers: parsed.data.CHIRP_KAFKA_BROKERS,
      topic: parsed.data.CHIRP_KAFKA_TOPIC,
      // The relay's default id is chirp-relay; projectors are told apart in broker logs and quotas.
      clientId: relevant.CHIRP_KAFKA_CLIENT_ID ? parsed.data.CHIRP_KAFKA_CLIENT_ID : PROJECTORS_KAFKA_CLIENT_ID,
    },
  };
}

function kafkaFeedIssues(env: Record<string, string | undefined>): string[] {
  if (env.CHIRP_FEED !== 'kafka') return [];
  const result = parseKafkaFeed(env);
  return 'issues' in result ? result.issues : [];
}

/** The Kafka settings of CHIRP_FEED=kafka; throws ConfigError naming the variable (as loadConfig does). */
export function loadKafkaFeedConfig(env: NodeJS.ProcessEnv = process.env): KafkaFeedConfig {
  const result = parseKafkaFeed(env);
  if ('issues' in result) throw new ConfigError(`invalid configuration:\n${result.issues.map((l) => `  ${l}`).join('\n')}`);
  return result.config;
}

/**
 * What an entry point needs beyond valid values. Embedded PGlite is one process's database: a
 * second process opening the same directory sees a frozen snapshot (or, writing, corrupts it), so
 * the separate entry points need PostgreSQL. Processes that may run on different machines cannot
 * share a secret generated into a local data directory, so anything but `npm start` on PGlite
 * needs CHIRP_JWT_SECRET — except the projectors, which never see a token.
 */
function entryPointIssues(env: Record<string, string | undefined>, entryPoint: EntryPoint): string[] {
  const issues: string[] = [];
  const script = `npm run start:${entryPoint}`;
  // EventStoreDB holds only the log: read models and their checkpoints (committed with them) need PostgreSQL.
  if (env.CHIRP_EVENTSTORE_URL && !env.CHIRP_DATABASE_URL)
    issues.push('CHIRP_DATABASE_URL: is required with CHIRP_EVENTSTORE_URL: read models and projector checkpoints stay in PostgreSQL');
  else if (entryPoint !== 'all' && !env.CHIRP_DATABASE_URL)
    issues.push(`CHIRP_DATABASE_URL: is required by ${script}: separate processes cannot share the embedded PGlite directory (use npm start for the all-in-one setup)`);
  // The projectors (and the relay, which loads their configuration) never see a token.
  if (env.CHIRP_JWT_SECRET || entryPoint === 'projectors') return issues;
  if (env.NODE_ENV === 'production') {
    issues.push('CHIRP_JWT_SECRET: is required when NODE_ENV=production');
    return issues;
  }
  if (entryPoint !== 'all') issues.push(`CHIRP_JWT_SECRET: is required by ${script}: every API process must verify the same tokens`);
  else if (env.CHIRP_DATABASE_URL) issues.push('CHIRP_JWT_SECRET: is required with CHIRP_DATABASE_URL: other Chirp processes on that database must verify the same tokens');
  return issues;
}
