/**
 * Tokens already verified, by their exact text, until they expire. A timeline read is one Redis
 * round trip; verifying an HS256 signature with jose goes through WebCrypto, an asynchronous job
 * on libuv's thread pool, which costs a read as much latency as the read itself. A token's text
 * is signed, so the same text always verifies to the same claims — only its expiry moves, and
 * that is checked on every hit.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  remember(token: string, value: T, expiresAtMs: number): void {
    if (this.maxEntries <= 0) return;
    // Oldest first out: Map keeps insertion order. Tokens are short-lived, so LRU order buys nothing.
    if (this.entries.size >= this.maxEntries && !this.entries.has(token)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { value, expiresAtMs });
  }
}
