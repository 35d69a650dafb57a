/**
 * Remembers the first answer to each (scope, Idempotency-Key), so that a retried command is
 * answered the same way and appends nothing new.
 */
export interface RecordedAnswer {
  status: number;
  body: unknown;
  /** Headers that are part of the answer and must be replayed with it (Location). */
  headers: Record<string, string>;
}

export type IdempotencyBegin =
  /** This request runs the command; `seed` fixes its ids (the same for every run of the key). */
  | { kind: 'started'; seed: string }
  | { kind: 'replay'; answer: RecordedAnswer }
  /** The key was used before for a different request. */
  | { kind: 'mismatch' }
  /** Another request with this key is running the command right now. */
  | { kind: 'in_progress' };

export interface IdempotencyStore {
  /**
   * Claims the key for a run of the command. `seed` is used when the key is new; a key that ran
   * before (and failed, or whose run died) keeps the seed of its first use.
   */
  begin(scope: string, key: string, fingerprint: string, seed: string): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, answer: RecordedAnswer): Promise<void>;
  /**
   * The run failed with an answer a retry could change (5xx, 409, 429): frees the key at once
   * for the next run, keeping its seed, so that run converges on whatever this one appended.
   */
  abandon(scope: string, key: string): Promise<void>;
  /** Forgets keys past their retention; returns how many. */
  purgeExpired(): Promise<number>;
}
