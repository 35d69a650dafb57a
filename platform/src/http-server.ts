import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface RunningServer {
  url: string;
  /**
   * Graceful: stops accepting, closes idle connections, lets in-flight requests finish (answering
   * them with `Connection: close`) and closes each connection as its last response ends; after
   * the grace period it closes whatever is left. Resolves when every connection is closed.
   */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** How long close() waits for in-flight requests before cutting their connections; default 5000. */
  shutdownGraceMs?: number;
}

/** Listens and resolves once the port is bound (a taken port rejects with a clear message). */
export function listen(handler: RequestListener, host: string, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const graceMs = options.shutdownGraceMs ?? 5000;
  let closing = false;
  // In-flight responses per connection: a connection is closed once its last one ends.
  const inFlight = new Map<Socket, Set<ServerResponse>>();

  const server: Server = createServer((req, res) => {
    const socket = req.socket;
    let responses = inFlight.get(socket);
    if (!responses) inFlight.set(socket, (responses = new Set()));
    responses.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      responses.delete(res);
      if (responses.size > 0) return;
      inFlight.delete(socket);
      // A response whose headers went out before close() began still said keep-alive.
      if (closing) socket.end();
    });
    handler(req, res);
  });
  // Keep-alive longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((done) => {
      closing = true;
      const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(cutOff);
        done();
      });
      server.closeIdleConnections();
      // Node keeps a kept-alive connection open after its response; this header makes it close.
      for (const responses of inFlight.values()) for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
    }));

  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : error),
    );
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({ url: `http://${shownHost}:${bound}`, close });
    });
  });
}
