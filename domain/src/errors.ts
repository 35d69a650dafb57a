/**
 * A command the domain refuses. Returned (not thrown) by deciders, so a caller must handle it;
 * `kind` tells the HTTP layer which status fits without the domain knowing about HTTP.
 */
export type DomainErrorKind = 'conflict' | 'not_found' | 'forbidden' | 'invalid';

export class DomainError {
  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    readonly message: string,
  ) {}
}
