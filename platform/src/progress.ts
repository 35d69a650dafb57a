/**
 * A one-line progress bar for long operations (seeding, replays, exports, benchmarks): done/total,
 * rate and ETA. Redraws in place on a terminal; prints a line every few seconds otherwise (CI logs).
 */
export class Progress {
  private done = 0;
  private readonly startedAt = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'ops',
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 100 : 3000) || this.done >= this.total) {
      this.lastDraw = now;
      this.draw(false);
    }
  }

  finish(): void {
    this.draw(true);
  }

  private draw(final: boolean): void {
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    const rate = this.done / seconds;
    const remaining = rate > 0 ? (this.total - this.done) / rate : Number.POSITIVE_INFINITY;
    const fraction = this.total > 0 ? Math.min(this.done / this.total, 1) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const eta = final ? `took ${formatDuration(seconds)}` : `ETA ${formatDuration(remaining)}`;
    const line = `${this.label} ${bar} ${this.done}/${this.total} ${this.unit} · ${rate.toFixed(rate < 10 ? 1 : 0)} ${this.unit}/s · ${eta}`;
    if (this.tty) this.out.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else this.out.write(`${line}\n`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
