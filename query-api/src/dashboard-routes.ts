import { resolve } from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { eventTypes } from '@chirp/domain/events';
import { ProblemError } from '@chirp/http-kit';

export interface DashboardOptions {
  /** Where the page sends commands (logins, replays); also the one other origin its CSP lets it connect to. */
  commandApiUrl: string;
  /** The page's files; default query-api/dashboard. */
  directory?: string;
}

const DEFAULT_DIRECTORY = resolve(import.meta.dirname, '../dashboard');

const CommandApiUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** A file directly in the folder: no separators, no dot files, so nothing outside it can be named. */
const FileName = z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
const noSuchFile = () => new ProblemError(404, 'no such dashboard file');

/**
 * The operators' dashboard (docs/operations.md, "Dashboard"): its static files and its
 * configuration. The page is public — its data endpoints need an operator token — so it is served
 * without authentication, under a Content-Security-Policy that lets it run only its own scripts
 * and styles and talk only to this API and the command API — no `<base>` to re-point its relative
 * URLs, no form submitted by the browser (its forms are handled by its scripts).
 */
export function dashboardRoutes(options: DashboardOptions): Router {
  const commandApiUrl = CommandApiUrl.parse(options.commandApiUrl).replace(/\/+$/, '');
  const directory = options.directory ?? DEFAULT_DIRECTORY;
  const headers = {
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': `default-src 'self'; connect-src 'self' ${new URL(commandApiUrl).origin}; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
  const sendFile = (res: Response, file: string) =>
    new Promise<void>((done, fail) =>
      res.sendFile(file, { root: directory, dotfiles: 'deny', headers }, (error?: Error & { status?: number }) => {
        if (!error) done();
        else fail(error.status === 404 ? noSuchFile() : error);
      }),
    );

  const router = Router();
  // The event types from the domain's catalogue, in its order: the page's Type filter and chart.
  router.get('/dashboard/config.json', (_req, res) => {
    res.set(headers).json({ commandApiUrl, eventTypes });
  });
  router.get(['/dashboard', '/dashboard/'], (_req, res) => sendFile(res, 'index.html'));
  router.get('/dashboard/:file', (req, res) => {
    const file = FileName.safeParse(req.params.file);
    if (!file.success) throw noSuchFile();
    return sendFile(res, file.data);
  });
  return router;
}
