import type { SqlExecutor } from './executor.ts';

/** The NOTIFY channel every append signals on (payload: position of its last event). */
export const EVENTS_CHANNEL = 'chirp_events';

/** Called per NOTIFY with the announced position (undefined when the payload is not one). */
export type NotifyListener = (position: number | undefined) => void;

/** One LISTEN per store, fanned out to its live subscriptions. */
export class EventNotifier {
  private readonly listeners = new Set<NotifyListener>();
  private starting: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(private readonly executor: SqlExecutor) {}

  /** Starts the LISTEN once (idempotent; a failed start is retried by the next call). */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('event store is closed'));
    this.starting ??= this.executor
      .listen(EVENTS_CHANNEL, (payload) => {
        const position = Number(payload);
        const announced = payload !== '' && Number.isSafeInteger(position) ? position : undefined;
        for (const listener of [...this.listeners]) listener(announced);
      })
      .then(
        async (unlisten) => {
          if (this.stopped) await unlisten();
          else this.unlisten = unlisten;
        },
        (err: unknown) => {
          this.starting = undefined;
          throw err;
        },
      );
    return this.starting;
  }

  add(listener: NotifyListener): void {
    this.listeners.add(listener);
  }

  remove(listener: NotifyListener): void {
    this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.starting?.catch(() => {});
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.().catch(() => {});
  }
}
