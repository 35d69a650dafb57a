import type { Writable } from 'node:stream';

/** The reader of the output went away (`chirp events export | head`): stop producing, quietly. */
export class OutputClosedError extends Error {
  override readonly name = 'OutputClosedError';
  constructor(override readonly cause?: unknown) {
    super('the output was closed by its reader');
  }
}

/**
 * Writes chunks to a stream without outrunning its reader: when `write` reports a full buffer, the
 * next chunk waits for 'drain'. Without that, exporting a large log into a slow pipe (gzip, a
 * network copy) would pile the whole log up in memory. A reader that goes away (EPIPE) ends the
 * waiting with OutputClosedError instead of leaving it pending forever.
 */
export class BackpressuredOutput {
  private closed: OutputClosedError | null = null;
  private readonly onError = (error: Error) => {
    this.closed ??= new OutputClosedError(error);
  };

  constructor(private readonly out: Writable) {
    // Without a listener an EPIPE would be an uncaught exception with a stack trace.
    out.on('error', this.onError);
  }

  async write(chunk: string): Promise<void> {
    if (this.closed) throw this.closed;
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = () => {
        this.out.off('drain', settle);
        this.out.off('error', settle);
        this.out.off('close', settle);
        if (this.closed) reject(this.closed);
        else if (this.out.destroyed) reject(new OutputClosedError());
        else resolve();
      };
      this.out.on('drain', settle);
      this.out.on('error', settle);
      this.out.on('close', settle);
    });
  }

  /** Stops listening; the stream itself belongs to the caller (stdout is never ended by us). */
  release(): void {
    this.out.off('error', this.onError);
  }
}
