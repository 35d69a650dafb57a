import { parseArgs } from 'node:util';
import { z } from 'zod';

const count = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));

const SeedOptions = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).transform((u) => u.replace(/\/+$/, '')),
  users: count(10_000).pipe(z.number().min(1, 'must be at least 1')),
  tweets: count(100_000),
  seed: count(2 ** 32 - 1),
  password: z.string().min(8, 'must be at least 8 characters (the command API demands it)').max(200),
});

export type SeedOptions = z.infer<typeof SeedOptions>;

export class SeedUsageError extends Error {}

/**
 * `npm run seed -- --users 40 --tweets 200 --seed 42 --url http://127.0.0.1:3001`, validated, so a
 * typo stops here with a message instead of seeding NaN users.
 */
export function parseSeedOptions(args: string[], env: NodeJS.ProcessEnv = process.env): SeedOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        url: { type: 'string', default: env.CHIRP_COMMAND_URL ?? `http://127.0.0.1:${env.CHIRP_COMMAND_PORT ?? 3001}` },
        users: { type: 'string', default: '40' },
        tweets: { type: 'string', default: '200' },
        seed: { type: 'string', default: '42' },
        password: { type: 'string', default: 'chirp-demo-password' },
      },
    }));
  } catch (error) {
    throw new SeedUsageError(`seed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = SeedOptions.safeParse(values);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
    throw new SeedUsageError(`seed: invalid arguments:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
