import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { describeDatabase, openDatabase, type Database } from '../database.ts';
import { DataDirLockedError } from '../data-dir-lock.ts';
import { describeError } from '../process-lifecycle.ts';
import { CliFailure } from './cli-errors.ts';

/**
 * The database the services use, opened for one CLI command: PostgreSQL when CHIRP_DATABASE_URL
 * is set, otherwise the embedded PGlite directory under CHIRP_DATA_DIR (locked while the command
 * runs, exactly as `npm start` locks it).
 */
export async function openCliDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const config = loadCliConfig(env);
  if (!config.CHIRP_DATABASE_URL) requireEmbeddedData(config);
  try {
    return await openDatabase(config);
  } catch (error) {
    if (error instanceof DataDirLockedError)
      throw new CliFailure(
        `the embedded database in ${error.dir} is in use by another Chirp process (pid ${error.pid}), probably \`npm start\`: ` +
          'PGlite serves one process at a time, so stop it first, or run Chirp on PostgreSQL (CHIRP_DATABASE_URL) to use the CLI alongside it',
      );
    throw new CliFailure(`cannot open the database (${describeDatabase(config)}): ${describeError(error)}`);
  }
}

/**
 * The platform configuration, validated as the services validate it. The CLI reads and never signs
 * tokens, so it must not demand CHIRP_JWT_SECRET: with a database URL it needs what the projectors
 * need (their entry point checks exactly that), without one what `npm start` on PGlite needs.
 * NODE_ENV is left out because the only thing it changes is that secret's requirement.
 */
export function loadCliConfig(env: NodeJS.ProcessEnv): Config {
  const { NODE_ENV: _ignored, ...rest } = env;
  try {
    return loadConfig(rest, rest.CHIRP_DATABASE_URL ? 'projectors' : 'all');
  } catch (error) {
    // The services print the issues one per line; the CLI keeps to one line.
    if (error instanceof ConfigError) throw new CliFailure(`invalid configuration: ${error.message.split('\n').slice(1).map((l) => l.trim()).join('; ')}`);
    throw error;
  }
}

/**
 * Opening a PGlite directory that holds no database creates one: a mistyped CHIRP_DATA_DIR would
 * silently export nothing from a fresh, empty database and leave it behind. Refuse instead.
 */
function requireEmbeddedData(config: Config): void {
  const dir = resolve(config.CHIRP_DATA_DIR, 'pglite');
  if (!existsSync(resolve(dir, 'PG_VERSION')))
    throw new CliFailure(`no Chirp database in ${dir}: set CHIRP_DATA_DIR to the directory \`npm start\` uses, or CHIRP_DATABASE_URL for PostgreSQL`);
}
