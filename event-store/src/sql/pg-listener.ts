import pg from 'pg';

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * One dedicated connection carrying every LISTEN of an executor. When the connection drops it
 * reconnects (with backoff) and re-issues LISTEN for every channel that still has callbacks.
 * Notifications sent while it was down are lost, as with any LISTEN; callers poll as a fallback.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Serialises LISTEN/UNLISTEN/connect so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly config: pg.ClientConfig) {}

  add(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.serial(async () => {
      let callbacks = this.channels.get(channel);
      const isNew = !callbacks;
      if (!callbacks) {
        callbacks = new Set();
        this.channels.set(channel, callbacks);
      }
      callbacks.add(onNotify);
      try {
        const hadClient = this.client !== undefined;
        const client = await this.ensureClient(); // a new connection LISTENs to every channel
        if (hadClient && isNew) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      } catch (err) {
        callbacks.delete(onNotify);
        if (callbacks.size === 0) this.channels.delete(channel);
        throw err;
      }
      let removed = false;
      return () => {
        if (removed) return Promise.resolve();
        removed = true;
        return this.remove(channel, onNotify);
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.queue.catch(() => {});
    const client = this.client;
    this.client = undefined;
    this.channels.clear();
    if (client) await client.end().catch(() => {});
  }

  private remove(channel: string, onNotify: (payload: string) => void): Promise<void> {
    return this.serial(async () => {
      const callbacks = this.channels.get(channel);
      if (!callbacks) return;
      callbacks.delete(onNotify);
      if (callbacks.size > 0) return;
      this.channels.delete(channel);
      if (this.client && !this.closed) {
        await this.client.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => {});
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async ensureClient(): Promise<pg.Client> {
    if (this.closed) throw new Error('executor is closed');
    if (this.client) return this.client;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    let dropped = false;
    const onDrop = () => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect(100);
    };
    client.on('error', onDrop);
    client.on('end', onDrop);
    client.on('notification', (msg) => {
      const callbacks = this.channels.get(msg.channel);
      if (!callbacks) return;
      for (const cb of [...callbacks]) {
        try {
          cb(msg.payload ?? '');
        } catch {
          // A throwing callback must not break delivery to the others.
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (err) {
      dropped = true;
      client.end().catch(() => {});
      throw err;
    }
    if (dropped) throw new Error('LISTEN connection dropped while connecting');
    this.client = client;
    return client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.channels.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.serial(async () => {
        if (this.closed || this.client || this.channels.size === 0) return;
        await this.ensureClient();
      }).catch(() => {
        this.scheduleReconnect(Math.min(delayMs * 2, 5_000));
      });
    }, delayMs);
    this.reconnectTimer.unref?.();
  }
}
