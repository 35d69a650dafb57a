import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '@chirp/telemetry';

/** One field's complaint, pointing into the request (RFC 6901 JSON pointer). */
export interface FieldError {
  pointer: string;
  detail: string;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An HTTP error answered as RFC 9457 problem JSON. Throw it from any handler. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extras: { code?: string; errors?: FieldError[]; [key: string]: unknown } = {},
    /** Response headers the problem needs, e.g. a `WWW-Authenticate` challenge with a 401. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

/** Members RFC 9457 defines; extras may add members but never replace these. */
const standardMembers = new Set(['type', 'title', 'status', 'detail', 'instance']);

export function sendProblem(res: Response, error: ProblemError): void {
  const title = titles[error.status] ?? 'Error';
  const typeSlug = (error.extras.code ?? title).toString().replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  const extras = Object.fromEntries(Object.entries(error.extras).filter(([name]) => !standardMembers.has(name)));
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res
    .status(error.status)
    .type('application/problem+json')
    .json({
      type: `https://chirp.dev/problems/${typeSlug}`,
      title,
      status: error.status,
      detail: error.detail,
      instance: res.req.originalUrl,
      ...extras,
    });
}

/** Turns zod issues into per-field errors, with the location prefix ('' for a body, 'query', 'params'). */
export function fieldErrors(error: z.ZodError, location = ''): FieldError[] {
  return error.issues.map((issue) => ({
    pointer: `#${location ? `/${location}` : ''}${issue.path.map((p) => `/${String(p)}`).join('')}`,
    detail: issue.message,
  }));
}

export const notFound: RequestHandler = (req, res) => {
  sendProblem(res, new ProblemError(404, `no route for ${req.method} ${req.path}`));
};

/** What body-parser, raw-body and other http-errors users attach to the errors they raise. */
interface HttpErrorLike {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

export type ErrorLog = (message: string, error: unknown) => void;

/**
 * The last middleware of every app: whatever went wrong becomes problem JSON; nothing internal
 * (stack, SQL, driver message) reaches the client. Only unexpected errors (5xx) are logged: a
 * client's mistake is answered, not reported as our failure.
 */
export function problemHandler(log: ErrorLog = defaultErrorLog): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    const problem = toProblem(error);
    if (problem) return sendProblem(res, problem);
    log(`${req.method} ${req.originalUrl} failed`, error);
    sendProblem(res, new ProblemError(500, 'something went wrong on our side; the request may be retried'));
  };
}

/** The client-facing problem for an error, or undefined for one of ours (a 500). */
function toProblem(error: unknown): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof z.ZodError) return new ProblemError(400, 'the request is not valid', { errors: fieldErrors(error) });
  const httpError = (typeof error === 'object' && error !== null ? error : {}) as HttpErrorLike;
  switch (httpError.type) {
    case 'entity.too.large':
      return new ProblemError(413, 'the request body is larger than this endpoint accepts');
    case 'entity.parse.failed':
      return new ProblemError(400, 'the request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError(415, 'unsupported request encoding');
  }
  // http-errors' contract: `expose` marks a message written for the client (a body that does not
  // decompress, a request aborted mid-body, a length that does not match Content-Length...).
  const status = httpError.status ?? httpError.statusCode;
  if (httpError.expose === true && typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500) {
    const detail = typeof httpError.message === 'string' && httpError.message ? httpError.message : (titles[status] ?? 'bad request');
    return new ProblemError(status, detail);
  }
  return undefined;
}

/** One JSON line on stderr; errors (also inside a record of them) with their stacks. */
export function defaultErrorLog(message: string, error: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg: message, error: describeError(error) }));
}

/** Unexpected errors as error lines of a structured logger (carrying the request's trace id). */
export function loggerErrorLog(logger: Logger): ErrorLog {
  return (message, error) => logger.error({ error: describeError(error) }, message);
}

function describeError(error: unknown): unknown {
  if (error instanceof Error) return error.stack ?? error.message;
  if (typeof error === 'object' && error !== null) return Object.fromEntries(Object.entries(error).map(([k, v]) => [k, describeError(v)]));
  return String(error);
}
