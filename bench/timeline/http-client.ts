import { Agent, request } from 'node:http';

/**
 * A minimal keep-alive HTTP client for the latency measurements (node:http, so the client's own
 * cost is small and the same for the system and its baselines).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Reply {
  status: number;
  body: string;
  /** Round-trip time in milliseconds. */
  ms: number;
}

export function call(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method, agent, headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function callOk(method: string, url: string, headers: Record<string, string> = {}, body?: string, expect = [200]): Promise<Reply> {
  const reply = await call(method, url, headers, body);
  if (!expect.includes(reply.status)) throw new Error(`${method} ${url} answered ${reply.status}: ${reply.body.slice(0, 500)}`);
  return reply;
}

export function closeClient(): void {
  agent.destroy();
}
