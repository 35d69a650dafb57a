import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ProblemError } from './problem.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/** What a verified access token says about its bearer. */
export interface Principal {
  userId: string;
  handle: string;
  roles: string[];
  /**
   * When the token expires (ms since the epoch), as `verify` read it; not signed by `issue`,
   * which sets its own expiry. For what outlives the request, such as a stream.
   */
  expiresAt?: number;
}

const Claims = z.object({
  sub: z.string().min(1),
  handle: z.string(),
  roles: z.array(z.string()).default([]),
  exp: z.number(),
});

export interface TokenServiceOptions {
  /** Verified tokens remembered until they expire (VerifiedTokens); 0 verifies every time. Default 10,000. */
  rememberVerified?: number;
  /** Clock for the remembered tokens' expiry (tests). */
  now?: () => number;
}

export interface TokenService {
  issue(principal: Principal): Promise<string>;
  /** The principal, or a 401 ProblemError (with an `invalid_token` challenge) for a bad or expired token. */
  verify(token: string): Promise<Principal>;
  /**
   * A key for another purpose derived from the signing secret (HMAC(secret, purpose)), so a
   * service needing a server secret gets one without being handed the token-signing key.
   */
  deriveKey(purpose: string): Buffer;
}

const issuer = 'chirp';
const audience = 'chirp-api';
const realm = 'Bearer realm="chirp"';

/**
 * A 401 for a request that presented a token we cannot accept (bad signature, expired, or its
 * user is gone): RFC 6750 §3 asks for `error="invalid_token"` in the challenge, so a client knows
 * to get a new token instead of retrying this one.
 */
export function invalidTokenProblem(detail: string): ProblemError {
  return new ProblemError(401, detail, { code: 'InvalidToken' }, { 'WWW-Authenticate': `${realm}, error="invalid_token"` });
}

/** A 401 for a request without credentials: a plain challenge, no error code (RFC 6750 §3.1). */
export function missingTokenProblem(): ProblemError {
  return new ProblemError(401, 'this endpoint needs an Authorization: Bearer token', {}, { 'WWW-Authenticate': realm });
}

/** HS256 JWTs: both APIs share the secret, so the query API verifies what the command API issued. */
export function createTokenService(secret: string, ttlSeconds: number, options: TokenServiceOptions = {}): TokenService {
  const key = new TextEncoder().encode(secret);
  const verified = new VerifiedTokens<Principal>(options.rememberVerified ?? 10_000, options.now);
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
      const known = verified.get(token);
      if (known) return known;
      try {
        const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: ['HS256'] });
        const claims = Claims.parse(payload);
        const principal = { userId: claims.sub, handle: claims.handle, roles: claims.roles, expiresAt: claims.exp * 1000 };
        verified.remember(token, principal, claims.exp * 1000);
        return principal;
      } catch (error) {
        const expired = error instanceof joseErrors.JWTExpired;
        throw invalidTokenProblem(expired ? 'the access token has expired' : 'the access token is not valid');
      }
    },
    deriveKey: (purpose) => createHmac('sha256', key).update(`chirp-derived-key:${purpose}`).digest(),
  };
}

/** Rejects requests without a valid bearer token (401 with a WWW-Authenticate challenge). */
export function requireAuth(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw missingTokenProblem();
    res.locals.principal = await tokens.verify(match[1]);
    next();
  };
}

/** After requireAuth: a 403 unless the principal has `role`; `forbidden` says what was refused. */
export function requireRole(role: string, forbidden: string): RequestHandler {
  return (_req, res, next) => {
    if (!principalOf(res).roles.includes(role)) throw new ProblemError(403, forbidden);
    next();
  };
}

/** The principal set by requireAuth. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf called on a route without requireAuth');
  return principal;
}
