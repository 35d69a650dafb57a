import { createServer, type Server } from 'node:http';
import type { RequestListener } from 'node:http';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Listens and resolves once the port is bound (a taken port rejects with a clear message). */
export function listen(handler: RequestListener, host: string, port: number): Promise<RunningServer> {
  const server: Server = createServer(handler);
  // Keep-alive longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : error),
    );
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shownHost}:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
