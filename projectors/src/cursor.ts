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
  return encodeCursorFields({ p: position });
}

/** The position a cursor stands for; throws InvalidCursorError for anything not made by encodeCursor. */
export function decodeCursor(cursor: string): number {
  const p = decodeCursorFields(cursor, 200).p;
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

/** A cursor carrying several fields (the search's: reference time, score, id): base64url JSON. */
export function encodeCursorFields(fields: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

/**
 * The fields of a cursor made by `encodeCursorFields`, for the caller to check one by one; anything
 * that is not base64url JSON of an object, or is longer than `maxLength`, is an InvalidCursorError.
 */
export function decodeCursorFields(cursor: string, maxLength: number): Record<string, unknown> {
  if (typeof cursor !== 'string' || cursor.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError(String(cursor));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new InvalidCursorError(cursor);
  return parsed as Record<string, unknown>;
}
