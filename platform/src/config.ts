import { z } from 'zod';

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
    CHIRP_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
    CHIRP_CONSISTENCY_WAIT_MS: positiveMs.default(2000),
    CHIRP_OPERATOR_HANDLES: z
      .string()
      .default('')
      .transform((s) => new Set(s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))),
    CHIRP_IDLE_IN_TRANSACTION_TIMEOUT_MS: positiveMs.default(60_000),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.CHIRP_JWT_SECRET)
      ctx.addIssue({ code: 'custom', path: ['CHIRP_JWT_SECRET'], message: 'is required when NODE_ENV=production' });
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Reads and validates the environment; a bad value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => (k.startsWith('CHIRP_') || k === 'NODE_ENV') && v !== ''));
  const parsed = ConfigSchema.safeParse(relevant);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
