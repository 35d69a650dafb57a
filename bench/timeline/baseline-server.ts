import { createServer } from 'node:http';
import express from 'express';

/**
 * The baselines, in a process of their own like the query API: an express 5 hello-world and a
 * bare `node:http` server, each answering GET with the same JSON document (BENCH_BODY, the real
 * timeline response captured first, re-serialised per request as the query API does), and a
 * trivial express POST route answering 202 (the post-latency baseline). Prints one JSON line with
 * the ports.
 */
const body: unknown = JSON.parse(process.env.BENCH_BODY ?? '{"items":[]}');

const app = express();
app.disable('x-powered-by');
app.get('/', (_req, res) => {
  res.json(body);
});
app.post('/v1/tweets', express.json(), (req, res) => {
  res.status(202).json({ tweetId: '00000000-0000-4000-8000-000000000000', position: 1, length: String((req.body as { text?: string })?.text ?? '').length });
});

const bare = createServer((req, res) => {
  const json = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
});

const listen = (server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

const expressServer = createServer(app);
const [expressPort, barePort] = await Promise.all([listen(expressServer), listen(bare)]);
console.log(JSON.stringify({ expressPort, barePort }));
process.on('SIGTERM', () => process.exit(0));
