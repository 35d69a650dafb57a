import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadStream, registerUser } from '@chirp/command-api';
import { defaultErrorLog } from '@chirp/http-kit';
import { fold, handleDecider, streams } from '@chirp/domain';
import type { EventStore } from '@chirp/event-store';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from './config.ts';
import { readOrCreateSecret } from './jwt-secret.ts';

export const DEFAULT_OPERATOR_HANDLE = 'operator';
export const OPERATOR_PASSWORD_FILE = 'operator-password';
/** The cause start-up writes into the account's registration: what proves the account is its own. */
export const OPERATOR_ACCOUNT_CAUSE = 'startup:operator-account';

export interface OperatorAccess {
  /** The configuration to run with: CHIRP_OPERATOR_HANDLES as given, or the default operator. */
  config: Config;
  /** How to log in, for the start-up banner. */
  login: string;
}

/**
 * `npm start` on embedded PGlite — the newcomer's try-out — has an operator out of the box, so the
 * dashboard can be used at once: with no CHIRP_OPERATOR_HANDLES, outside production, start-up
 * registers the handle `operator` (through the domain, as POST /v1/users does) with a random
 * password in `<CHIRP_DATA_DIR>/operator-password` (0600), and that account gets the role. Run
 * BEFORE the APIs listen, so nobody can take the handle first.
 *
 * The role goes only to the account start-up registered — its registration's causation says so —
 * never to a user who took the handle `operator` some other way (while CHIRP_OPERATOR_HANDLES was
 * set, say). Production, and any setup on a PostgreSQL server, never gets an operator nobody chose.
 */
export async function resolveOperatorAccess(store: EventStore, config: Config): Promise<OperatorAccess> {
  const handles = [...config.CHIRP_OPERATOR_HANDLES];
  if (handles.length > 0) return { config, login: `log in as one of: ${handles.join(', ')}` };
  if (config.NODE_ENV === 'production' || config.CHIRP_DATABASE_URL) return { config, login: 'no operators: set CHIRP_OPERATOR_HANDLES' };
  const passwordFile = join(config.CHIRP_DATA_DIR, OPERATOR_PASSWORD_FILE);
  const owner = await handleOwner(store, DEFAULT_OPERATOR_HANDLE);
  if (owner === 'someone else')
    return { config, login: `no operators: the handle ${DEFAULT_OPERATOR_HANDLE} belongs to a user npm start did not register; set CHIRP_OPERATOR_HANDLES` };
  const withOperator = { ...config, CHIRP_OPERATOR_HANDLES: new Set([DEFAULT_OPERATOR_HANDLE]) };
  if (owner === 'start-up')
    return {
      config: withOperator,
      login: existsSync(passwordFile)
        ? `log in as ${DEFAULT_OPERATOR_HANDLE}, password in ${passwordFile}`
        : `log in as ${DEFAULT_OPERATOR_HANDLE}; its password file ${passwordFile} is gone`,
    };
  // Created before the registration: a start that dies in between finds the same password next time.
  const password = readOrCreateSecret(passwordFile);
  const userId = uuidv7();
  await registerUser(
    { store, clock: () => new Date(), log: defaultErrorLog },
    {
      userId,
      handle: DEFAULT_OPERATOR_HANDLE,
      password,
      displayName: 'Operator',
      metadata: { correlationId: `startup:${userId}`, causationId: OPERATOR_ACCOUNT_CAUSE, actorUserId: userId },
    },
  );
  return { config: withOperator, login: `log in as ${DEFAULT_OPERATOR_HANDLE}, password in ${passwordFile}` };
}

/**
 * Who holds the handle: nobody (free, or released), the account start-up registered (its user's
 * registration has start-up's causation), or someone else.
 */
async function handleOwner(store: EventStore, handle: string): Promise<'nobody' | 'start-up' | 'someone else'> {
  const reservation = fold(handleDecider, (await loadStream(store, streams.handle(handle))).events);
  if (reservation.status !== 'reserved') return 'nobody';
  const [registered] = await store.readStream(streams.user(reservation.userId), { limit: 1 });
  // Reserved but not registered: a registration that failed half-way, start-up's or another's.
  if (!registered) return 'someone else';
  return registered.type === 'UserRegistered' && registered.metadata.causationId === OPERATOR_ACCOUNT_CAUSE ? 'start-up' : 'someone else';
}
