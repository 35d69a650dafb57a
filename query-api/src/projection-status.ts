import type { Request } from 'express';
import { invalidTokenProblem, type Principal, type TokenService } from '@chirp/http-kit';
import type { ProjectionStatus } from '@chirp/projectors/status/reader';

export const REDACTED_ERROR = 'projection is failing; details for operators';

/**
 * What anyone may see of a projection: where it is and whether (and since when, at which event)
 * it fails — but not why. The error text is a raw driver or SQL message that can name tables,
 * columns and values; only operators get it.
 */
export function redactStatus(status: ProjectionStatus): ProjectionStatus {
  return { ...status, lastError: status.lastError === null ? null : REDACTED_ERROR };
}

export function isOperator(principal: Principal | undefined): boolean {
  return principal?.roles.includes('operator') ?? false;
}

/**
 * The bearer of an optional token: undefined without an Authorization header; a header that is
 * there but not a valid bearer token is a 401, so a caller never mistakes a broken token for
 * the anonymous view.
 */
export async function optionalPrincipal(req: Request, tokens: TokenService): Promise<Principal | undefined> {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw invalidTokenProblem('the Authorization header must be a Bearer token');
  return tokens.verify(match[1]);
}
