import express, { type Express } from 'express';

export interface JsonAppOptions {
  /**
   * Largest accepted JSON body, e.g. '4kb'; larger bodies get 413. Absent: the app takes no
   * bodies at all (a read-only API), and no request pays for the body parser's checks.
   */
  bodyLimit?: string;
}

/** An express app that speaks JSON only and does not advertise itself. */
export function createJsonApp(options: JsonAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  if (options.bodyLimit !== undefined) {
    app.use(express.json({ limit: options.bodyLimit, strict: true, type: ['application/json', 'application/*+json'] }));
  }
  return app;
}
