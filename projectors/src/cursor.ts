/**
 * Opaque keyset cursors for position-ordered lists: base64url of `{"p":<position>}`.
 * A cursor means "entries strictly older (smaller position) than this one".
 */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

export function encodeCursor(position: number): string {
  return Buffer.from(JSON.stringify({ p: position }), 'utf8').toString('base64url');
}

/** The position a cursor stands for; throws InvalidCursorError for anything not made by encodeCursor. */
export function decodeCursor(cursor: string): number {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw new InvalidCursorError(String(cursor));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  const p = (parsed as { p?: unknown } | null)?.p;
  if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0) throw new InvalidCursorError(cursor);
  return p;
}

/** A page size a reader accepts (the APIs cap lower; this guards direct callers). */
export function validateLimit(limit: number, max = 200): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new RangeError(`limit must be an integer between 1 and ${max}, got ${limit}`);
  }
  return limit;
}
