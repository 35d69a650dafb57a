import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ProblemError } from './problem.ts';

/** What a verified access token says about its bearer. */
export interface Principal {
  userId: string;
  handle: string;
  roles: string[];
}

const Claims = z.object({
  sub: z.string().min(1),
  handle: z.string(),
  roles: z.array(z.string()).default([]),
});

export interface TokenService {
  issue(principal: Principal): Promise<string>;
  /** The principal, or a 401 ProblemError for a missing, bad or expired token. */
  verify(token: string): Promise<Principal>;
}

const issuer = 'chirp';
const audience = 'chirp-api';

/** HS256 JWTs: both APIs share the secret, so the query API verifies what the command API issued. */
export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    issue: (principal) =>
      new SignJWT({ handle: principal.handle, roles: principal.roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(principal.userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: ['HS256'] });
        const claims = Claims.parse(payload);
        return { userId: claims.sub, handle: claims.handle, roles: claims.roles };
      } catch (error) {
        const expired = error instanceof joseErrors.JWTExpired;
        throw new ProblemError(401, expired ? 'the access token has expired' : 'the access token is not valid');
      }
    },
  };
}

/** Rejects requests without a valid bearer token (401 with a WWW-Authenticate challenge). */
export function requireAuth(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    res.setHeader('WWW-Authenticate', 'Bearer realm="chirp"');
    if (!match?.[1]) throw new ProblemError(401, 'this endpoint needs an Authorization: Bearer token');
    res.locals.principal = await tokens.verify(match[1]);
    res.removeHeader('WWW-Authenticate');
    next();
  };
}

/** The principal set by requireAuth. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf called on a route without requireAuth');
  return principal;
}
