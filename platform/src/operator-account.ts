import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadStream, registerUser } from '@chirp/command-api';
import { defaultErrorLog } from '@chirp/http-kit';
import { fold, handleDecider, streams, userDecider } from '@chirp/domain';
import type { EventStore } from '@chirp/event-store';
import type { Config } from './config.ts';
import { readOrCreateSecret } from './jwt-secret.ts';

export const DEFAULT_OPERATOR_HANDLE = 'operator';
export const OPERATOR_PASSWORD_FILE = 'operator-password';

/**
 * `npm start` on embedded PGlite — the newcomer's try-out — has an operator out of the box, so the
 * dashboard can be used at once: with no CHIRP_OPERATOR_HANDLES, the handle `operator` gets the
 * role. Production, and any setup on a PostgreSQL server (shared with other processes, configured
 * on purpose), never gets an operator nobody chose.
 */
export function withDefaultOperator(config: Config): Config {
  if (!getsDefaultOperator(config)) return config;
  return { ...config, CHIRP_OPERATOR_HANDLES: new Set([DEFAULT_OPERATOR_HANDLE]) };
}

/**
 * Makes sure the default operator can log in, and says how (for the start-up banner). When the
 * operators are configured (`configured`: the configuration before withDefaultOperator), they
 * register as any user. Else, if no user `operator` is registered, it is registered through the
 * domain — the path POST /v1/users takes — with a random password kept in
 * `<CHIRP_DATA_DIR>/operator-password` (0600), which a later start finds and keeps.
 */
export async function ensureOperatorAccount(store: EventStore, configured: Config): Promise<string> {
  const handles = [...configured.CHIRP_OPERATOR_HANDLES];
  if (handles.length > 0) return `log in as one of: ${handles.join(', ')}`;
  if (!getsDefaultOperator(configured)) return 'no operators: set CHIRP_OPERATOR_HANDLES';
  const passwordFile = join(configured.CHIRP_DATA_DIR, OPERATOR_PASSWORD_FILE);
  if (await isRegistered(store, DEFAULT_OPERATOR_HANDLE))
    return existsSync(passwordFile)
      ? `log in as ${DEFAULT_OPERATOR_HANDLE}, password in ${passwordFile}`
      : `log in as ${DEFAULT_OPERATOR_HANDLE}; its password file ${passwordFile} is gone`;
  // Created before the registration: a start that dies in between finds the same password next time.
  const password = readOrCreateSecret(passwordFile);
  const userId = randomUUID();
  await registerUser(
    { store, clock: () => new Date(), log: defaultErrorLog },
    {
      userId,
      handle: DEFAULT_OPERATOR_HANDLE,
      password,
      displayName: 'Operator',
      metadata: { correlationId: `startup:${userId}`, causationId: 'startup:operator-account', actorUserId: userId },
    },
  );
  return `log in as ${DEFAULT_OPERATOR_HANDLE}, password in ${passwordFile}`;
}

function getsDefaultOperator(config: Config): boolean {
  return config.CHIRP_OPERATOR_HANDLES.size === 0 && config.NODE_ENV !== 'production' && !config.CHIRP_DATABASE_URL;
}

/** What POST /v1/sessions checks: the handle is reserved, and its user's stream says registered. */
async function isRegistered(store: EventStore, handle: string): Promise<boolean> {
  const reservation = fold(handleDecider, (await loadStream(store, streams.handle(handle))).events);
  if (reservation.status !== 'reserved') return false;
  return fold(userDecider, (await loadStream(store, streams.user(reservation.userId))).events).status === 'registered';
}
