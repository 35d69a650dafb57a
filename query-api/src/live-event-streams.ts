import type { Response } from 'express';
import type { StoredEvent } from '@chirp/domain/envelope';
import type { EventStore } from '@chirp/event-store';
import { ProblemError, type ErrorLog } from '@chirp/http-kit';
import { operatorEventView } from './operator-event-view.ts';

export interface LiveEventStreamsOptions {
  store: EventStore;
  /** Streams open at once in this process; one more is a 429. */
  maxStreams: number;
  /** How often an idle stream gets a comment, so proxies and browsers do not time it out. */
  keepAliveMs: number;
  log: ErrorLog;
}

/** Where a stream starts, and when it must end. */
export interface LiveStreamStart {
  /** Events after this position are streamed. */
  after: number;
  /** Events up to `after` sent first (oldest first), if any. */
  backlog: readonly StoredEvent[];
  /**
   * When the stream ends (ms since the epoch): the expiry of the bearer token it was opened with,
   * so a stream never outlives its token. The client reconnects with a fresh token and
   * Last-Event-ID, and the role is checked again. Default: never.
   */
  endsAt?: number;
}

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Server-sent event streams of the event log (text/event-stream): each one a store subscription
 * written to one response, event by event as batches arrive. Bounded, because every stream holds
 * a subscription (a poll loop and a LISTEN share) for as long as an operator leaves a tab open;
 * `closeAll` ends every stream at once, so a shutdown is not held up by clients that never leave.
 */
export class LiveEventStreams {
  private readonly open = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: LiveEventStreamsOptions) {}

  /**
   * Streams the events `wanted` accepts — first those of `backlog` (the events up to `after`, if
   * any), then every one after `after` — until the client leaves, `endsAt` comes, or closeAll.
   */
  async serve(res: Response, start: LiveStreamStart, wanted: (event: StoredEvent) => boolean): Promise<void> {
    if (this.closed) throw new ProblemError(503, 'the server is shutting down');
    if (this.open.size >= this.options.maxStreams)
      throw new ProblemError(429, `at most ${this.options.maxStreams} live event streams may be open at once; close one and retry`, {}, { 'Retry-After': '10' });
    const subscription = this.options.store.subscribe(start.after);
    const stopped = new AbortController();
    const end = () => {
      stopped.abort();
      void subscription.close();
    };
    this.open.add(end);
    res.on('close', end);
    // A client that left while the route was still reading the head has already closed.
    if (res.req.socket.destroyed) end();
    // No buffering anywhere: not by a proxy (X-Accel-Buffering), not by a cache, not by Node.
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    // Writes stop with the connection: between a disconnect and the loop's end, nothing is written.
    const send = (text: string) => res.destroyed || res.write(text);
    const keepAlive = setInterval(() => send(': keep-alive\n\n'), this.options.keepAliveMs);
    // Past a (far) timer's reach it ends early, which costs the client one reconnect.
    const expiry = start.endsAt === undefined ? undefined : setTimeout(end, Math.min(Math.max(0, start.endsAt - Date.now()), MAX_TIMER_MS));
    try {
      const backlog = start.backlog.filter(wanted).map(frame).join('');
      if (backlog && !send(backlog)) await drained(res, stopped.signal);
      for await (const batch of subscription) {
        const frames = batch.filter(wanted).map(frame).join('');
        if (frames && !send(frames)) await drained(res, stopped.signal);
      }
    } catch (error) {
      // Headers are out, so no problem JSON: the stream ends, and the client's reconnect (with
      // Last-Event-ID) resumes where it stopped.
      this.options.log('live event stream failed', error);
    } finally {
      clearInterval(keepAlive);
      clearTimeout(expiry);
      this.open.delete(end);
      res.off('close', end);
      await subscription.close();
      res.end();
    }
  }

  /** Ends every open stream and refuses new ones. */
  closeAll(): void {
    this.closed = true;
    for (const end of this.open) end();
  }
}

/** One SSE message: the position as its id (what Last-Event-ID resumes after), the envelope as the operators see it as data. */
function frame(event: StoredEvent): string {
  return `id: ${event.position}\nevent: event\ndata: ${JSON.stringify(operatorEventView(event))}\n\n`;
}

/** Resolves when a slow client has taken what was written, has gone, or the stream is stopped. */
function drained(res: Response, stopped: AbortSignal): Promise<void> {
  if (stopped.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      stopped.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
    stopped.addEventListener('abort', done, { once: true });
  });
}
