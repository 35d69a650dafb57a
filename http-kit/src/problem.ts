import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';

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
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export function sendProblem(res: Response, error: ProblemError): void {
  const title = titles[error.status] ?? 'Error';
  const typeSlug = (error.extras.code ?? title).toString().replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  res
    .status(error.status)
    .type('application/problem+json')
    .json({
      type: `https://chirp.dev/problems/${typeSlug}`,
      title,
      status: error.status,
      detail: error.detail,
      instance: res.req.originalUrl,
      ...error.extras,
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

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * The last middleware of every app: whatever went wrong becomes problem JSON; nothing internal
 * (stack, SQL, driver message) reaches the client. Unexpected errors are logged with the request.
 */
export function problemHandler(log: (message: string, error: unknown) => void = defaultLog): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ProblemError) return sendProblem(res, error);
    if (error instanceof z.ZodError) return sendProblem(res, new ProblemError(400, 'the request is not valid', { errors: fieldErrors(error) }));
    const parserError = error as BodyParserError;
    if (parserError.type === 'entity.too.large')
      return sendProblem(res, new ProblemError(413, 'the request body is larger than this endpoint accepts'));
    if (parserError.type === 'entity.parse.failed')
      return sendProblem(res, new ProblemError(400, 'the request body is not valid JSON'));
    if (parserError.type === 'encoding.unsupported' || parserError.type === 'charset.unsupported')
      return sendProblem(res, new ProblemError(415, 'unsupported request encoding'));
    log(`${req.method} ${req.originalUrl} failed`, error);
    sendProblem(res, new ProblemError(500, 'something went wrong on our side; the request may be retried'));
  };
}

function defaultLog(message: string, error: unknown): void {
  console.error(JSON.stringify({ level: 'error', msg: message, error: error instanceof Error ? error.stack : String(error) }));
}
