/** Events per second over a rolling window (default 10 s). */
export class RateMeter {
  private samples: { at: number; n: number }[] = [];
  private readonly startedAt: number;

  constructor(
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  add(n: number): void {
    this.samples.push({ at: this.now(), n });
    this.prune();
  }

  /** The rate, as if `pending` more events were added now. */
  rate(pending = 0): number {
    this.prune();
    const total = this.samples.reduce((sum, s) => sum + s.n, 0) + pending;
    const span = Math.max(1_000, Math.min(this.windowMs, this.now() - this.startedAt));
    return Math.round((total * 1_000 * 100) / span) / 100;
  }

  private prune(): void {
    const cutoff = this.now() - this.windowMs;
    while (this.samples.length > 0 && this.samples[0]!.at <= cutoff) this.samples.shift();
  }
}
