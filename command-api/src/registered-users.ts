import { streams } from '@chirp/domain';
import type { EventStore } from '@chirp/event-store';

/** Users remembered by default: ~100 bytes each, so about 10 MB at most. */
const DEFAULT_CAPACITY = 100_000;

/**
 * Whether a user is registered — the first event of their stream says so — remembering the users
 * found. Users are never removed (the event catalogue has no such event), so a user found once
 * stays registered and the answer holds for the life of the process; that saves a read on every
 * command. A user not found is never remembered: their registration may be committing right now.
 * Bounded: beyond `capacity` the least recently asked-for user is forgotten (and read again when
 * next asked for).
 *
 * The one thing this does not see is a database reset under a running process: users it knew keep
 * passing until it restarts (a reset restarts the services anyway).
 */
export class RegisteredUsers {
  /** Insertion order is recency order: a hit moves the id to the end, eviction takes the first. */
  private readonly known = new Set<string>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  async exists(userId: string): Promise<boolean> {
    if (this.known.delete(userId)) {
      this.known.add(userId);
      return true;
    }
    const [first] = await this.store.readStream(streams.user(userId), { limit: 1 });
    if (first?.type !== 'UserRegistered') return false;
    this.known.add(userId);
    if (this.known.size > this.capacity) this.known.delete(this.known.values().next().value!);
    return true;
  }
}
