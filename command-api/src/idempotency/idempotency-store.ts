/**
 * Remembers the first answer to each (caller, Idempotency-Key), so that a retried command is
 * answered the same way and appends nothing new.
 */
export type IdempotencyBegin =
  | { kind: 'started' }
  | { kind: 'replay'; status: number; body: unknown }
  /** The key was used before for a different request. */
  | { kind: 'mismatch' }
  /** The first request with this key is still running. */
  | { kind: 'in_progress' };

export interface IdempotencyStore {
  begin(scope: string, key: string, fingerprint: string): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, status: number, body: unknown): Promise<void>;
  /** Forgets a started key whose request failed on our side, so the client may retry it. */
  abandon(scope: string, key: string): Promise<void>;
}
