/**
 * int8 (bigint) values arrive from PostgreSQL as decimal text. Chirp hands them to JS as numbers,
 * which is exact only up to Number.MAX_SAFE_INTEGER (2^53 - 1): anything larger throws instead of
 * silently rounding. Shared by both executors so the engines behave the same.
 */
export function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`int8 value ${text} is not a safe JavaScript integer`);
  }
  return n;
}

/** Parses a PostgreSQL int8[] text literal such as `{1,2,NULL}`. */
export function parseSafeIntegerArray(text: string): (number | null)[] {
  const inner = text.trim();
  if (inner.length < 2 || inner[0] !== '{' || inner[inner.length - 1] !== '}') {
    throw new TypeError(`not an int8[] literal: ${text}`);
  }
  const body = inner.slice(1, -1).trim();
  if (body === '') return [];
  return body.split(',').map((part) => {
    const item = part.trim();
    return item.toUpperCase() === 'NULL' ? null : parseSafeInteger(item);
  });
}

export const INT8_OID = 20;
export const INT8_ARRAY_OID = 1016;
