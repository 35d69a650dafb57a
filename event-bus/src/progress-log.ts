/**
 * Progress of a relay as JSON lines: at most one per `intervalMs`, summing the batches since the
 * previous line (events, last position, rate). One line per event, or even per batch, would drown
 * the log during a catch-up of millions of events.
 */
export class ProgressLog {
  private events = 0;
  private position = 0;
  private since = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: (line: Record<string, unknown>) => void,
    private readonly fields: Record<string, unknown>,
    private readonly intervalMs: number,
  ) {}

  add(events: number, position: number): void {
    // After a quiet spell the rate is measured from this batch on, not diluted by the silence.
    if (this.events === 0 && this.timer === undefined && performance.now() - this.since > this.intervalMs) this.since = performance.now();
    this.events += events;
    this.position = position;
    const due = this.since + this.intervalMs - performance.now();
    if (due <= 0) this.flush();
    // A burst followed by silence is still reported, once the interval has passed.
    else this.timer ??= setTimeout(() => this.flush(), due).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events === 0) return;
    const seconds = (performance.now() - this.since) / 1000;
    this.log({
      level: 'info',
      msg: 'relay published',
      ...this.fields,
      events: this.events,
      position: this.position,
      eventsPerSecond: Math.round(this.events / Math.max(seconds, 0.001)),
    });
    this.events = 0;
    this.since = performance.now();
  }
}
