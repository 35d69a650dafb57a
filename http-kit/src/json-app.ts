import express, { type Express } from 'express';
import type { Logger } from '@chirp/telemetry';
import { cors } from './cors.ts';
import { requestTelemetry } from './request-telemetry.ts';

export interface JsonAppOptions {
  /**
   * Largest accepted JSON body, e.g. '4kb'; larger bodies get 413. Absent: the app takes no
   * bodies at all (a read-only API), and no request pays for the body parser's checks.
   */
  bodyLimit?: string;
  /** Where the one line per request goes; default nowhere. */
  logger?: Logger;
}

/**
 * An express app that speaks JSON only and does not advertise itself; every request gets a
 * server span, a duration metric and a log line (request-telemetry.ts), and browsers on other
 * origins may call it (cors.ts).
 */
export function createJsonApp(options: JsonAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestTelemetry(options.logger));
  // Before the body parser, so its 400s and 413s reach a browser client readable too.
  app.use(cors());
  if (options.bodyLimit !== undefined) {
    app.use(express.json({ limit: options.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));
  }
  return app;
}
