import { createServer, type RequestListener } from 'node:http';
import express from 'express';
import { createJsonApp } from '@chirp/http-kit';
import { createLogger } from '@chirp/telemetry';
import { startTelemetry } from '@chirp/telemetry/sdk';
import { PAGE, VARIANTS, type Variant } from './variants.ts';

/**
 * One server of the telemetry benchmark, in a process of its own (as a Chirp service runs):
 * `GET /v1/users/:handle` answering the same JSON page in every variant, so the only difference
 * is what observes the request. Prints one JSON line with its port.
 */
const variant = process.argv[2] as Variant;
if (!VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}; one of ${VARIANTS.join(', ')}`);

function handler(): RequestListener {
  switch (variant) {
    case 'node-http':
      return (_req, res) => {
        const json = JSON.stringify(PAGE);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      };
    case 'express': {
      const app = express();
      app.disable('x-powered-by');
      app.get('/v1/users/:handle', (_req, res) => void res.json(PAGE));
      return app;
    }
    default: {
      // The SDK exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the parent's sink), as in compose.
      if (variant.startsWith('chirp-otel')) startTelemetry({ serviceName: 'bench-telemetry', env: process.env });
      const app = createJsonApp(variant === 'chirp-quiet' ? {} : { logger: createLogger('bench-telemetry', 'info') });
      app.get('/v1/users/:handle', (_req, res) => void res.json(PAGE));
      return app;
    }
  }
}

const server = createServer(handler());
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  console.error(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.on('SIGTERM', () => process.exit(0));
