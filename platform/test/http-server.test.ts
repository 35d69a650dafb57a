import { Agent, request, type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../src/http-server.ts';

/**
 * Graceful shutdown over real sockets with a keep-alive client (what browsers, proxies and
 * load balancers use): close() must not wait for the client to hang up.
 */
describe('listen(): graceful close', () => {
  const agents: Agent[] = [];
  afterEach(() => agents.splice(0).forEach((a) => a.destroy()));

  function keepAliveAgent() {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 60_000 });
    agents.push(agent);
    return agent;
  }

  /** A GET whose socket stays observable: resolves with the response, its body and the socket. */
  function get(url: string, agent: Agent): Promise<{ res: IncomingMessage; body: string; socket: Socket }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ res, body, socket: req.socket! }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  const socketClosed = (socket: Socket) => (socket.closed ? Promise.resolve() : new Promise<void>((r) => socket.once('close', () => r())));

  /** A server whose /slow requests wait until release() is called. */
  async function gatedServer(options: { shutdownGraceMs?: number; streamHeadFirst?: boolean } = {}) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const slowEntered = new Promise<void>((r) => (entered = r));
    const handler: RequestListener = (req, res) => {
      if (req.url !== '/slow') return void res.end('fast');
      if (options.streamHeadFirst) res.writeHead(200, { 'content-type': 'text/plain' }).write('part one;');
      entered();
      void gate.then(() => res.end('slow'));
    };
    const server = await listen(handler, '127.0.0.1', 0, options);
    return { server, release, slowEntered };
  }

  const timed = async (close: () => Promise<void>) => {
    const started = Date.now();
    await close();
    return Date.now() - started;
  };

  it('answers a request in flight with Connection: close, closes its kept-alive connection, and finishes promptly', async () => {
    const { server, release, slowEntered } = await gatedServer();
    const agent = keepAliveAgent();
    const first = await get(`${server.url}/fast`, agent);
    expect(first.res.headers.connection).toBe('keep-alive');

    const slow = get(`${server.url}/slow`, agent); // reuses the kept-alive connection
    await slowEntered;
    const closing = timed(() => server.close());
    setTimeout(release, 100);
    const answer = await slow;
    expect(answer.socket).toBe(first.socket);
    expect(answer.body).toBe('slow');
    expect(answer.res.headers.connection).toBe('close');
    expect(await closing).toBeLessThan(2000);
    await socketClosed(answer.socket);
  });

  it('closes a connection whose response had already sent its headers (keep-alive) once that response ends', async () => {
    const { server, release, slowEntered } = await gatedServer({ streamHeadFirst: true });
    const agent = keepAliveAgent();
    const slow = get(`${server.url}/slow`, agent);
    await slowEntered;
    const closing = timed(() => server.close());
    setTimeout(release, 100);
    const answer = await slow;
    expect(answer.body).toBe('part one;slow');
    expect(await closing).toBeLessThan(2000);
    await socketClosed(answer.socket);
  });

  it('cuts connections still busy after the grace period', async () => {
    const { server, release, slowEntered } = await gatedServer({ shutdownGraceMs: 300 });
    const slow = get(`${server.url}/slow`, keepAliveAgent());
    const failed = slow.then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    await slowEntered;
    const took = await timed(() => server.close());
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    expect(await failed).toBe('ECONNRESET');
    release();
  });

  it('closes idle kept-alive connections at once and refuses new ones', async () => {
    const { server } = await gatedServer();
    const idle = await get(`${server.url}/fast`, keepAliveAgent());
    expect(await timed(() => server.close())).toBeLessThan(1000);
    await socketClosed(idle.socket);
    await expect(get(`${server.url}/fast`, keepAliveAgent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('reports a port in use in one line', async () => {
    const { server } = await gatedServer();
    const port = Number(new URL(server.url).port);
    const second: Promise<RunningServer> = listen(() => {}, '127.0.0.1', port);
    await expect(second).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    await server.close();
  });
});
