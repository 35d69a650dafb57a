import { z } from 'zod';

/**
 * The relay's environment, validated like platform/src/config.ts (which other processes own; the
 * relay's variables live here so the event bus stays one workspace). docs/event-bus.md lists them.
 */

export const DEFAULT_TOPIC = 'chirp.events';
export const DEFAULT_CLIENT_ID = 'chirp-relay';
export const DEFAULT_BATCH_SIZE = 500;
/** Partitions of a topic the relay creates: the most projector instances one group can spread over. */
export const DEFAULT_PARTITIONS = 6;
/**
 * Batches are sent as one produce request per broker; a broker refuses a record batch above
 * `message.max.bytes` (1 MB by default) per partition, so very large batches buy nothing but
 * that risk.
 */
export const MAX_BATCH_SIZE = 5000;

/** host:port, or [ipv6]:port. */
const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:,[\]]+):(\d{1,5})$/;
/** Kafka's own rule for topic names. */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

const brokerList = z
  .string({ error: 'is required by npm run start:relay: comma-separated host:port of Kafka brokers' })
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z.string().refine((b) => {
          const port = BROKER.exec(b)?.[1];
          return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
        }, { error: (issue) => `${JSON.stringify(issue.input)} is not host:port` }),
      )
      .min(1, 'names no broker'),
  );

export const RelayConfigSchema = z.object({
  CHIRP_KAFKA_BROKERS: brokerList,
  CHIRP_KAFKA_TOPIC: z
    .string()
    .regex(TOPIC, 'must be 1–249 characters of a-z A-Z 0-9 . _ -')
    .refine((t) => t !== '.' && t !== '..', 'cannot be "." or ".."')
    .default(DEFAULT_TOPIC),
  CHIRP_KAFKA_CLIENT_ID: z.string().min(1).default(DEFAULT_CLIENT_ID),
  CHIRP_RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(MAX_BATCH_SIZE).default(DEFAULT_BATCH_SIZE),
  /** Partitions of the topic when the relay has to create it (an existing topic is left as it is). */
  CHIRP_KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_PARTITIONS),
  /** Name of the relay's checkpoint row; default: the topic, so a new topic is filled from the start. */
  CHIRP_RELAY_NAME: z.string().min(1).max(200).optional(),
});

export interface RelayConfig {
  brokers: string[];
  topic: string;
  clientId: string;
  batchSize: number;
  partitions: number;
  /** Checkpoint row name in relay_checkpoints. */
  name: string;
}

export class RelayConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'RelayConfigError';
  }
}

/** Reads the relay's variables (empty counts as unset, as in platform config); a bad one throws RelayConfigError naming it. */
export function loadRelayConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const relevant = Object.fromEntries(Object.keys(RelayConfigSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = RelayConfigSchema.safeParse(relevant);
  if (!parsed.success) throw new RelayConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const c = parsed.data;
  return {
    brokers: c.CHIRP_KAFKA_BROKERS,
    topic: c.CHIRP_KAFKA_TOPIC,
    clientId: c.CHIRP_KAFKA_CLIENT_ID,
    batchSize: c.CHIRP_RELAY_BATCH_SIZE,
    partitions: c.CHIRP_KAFKA_PARTITIONS,
    name: c.CHIRP_RELAY_NAME ?? c.CHIRP_KAFKA_TOPIC,
  };
}
