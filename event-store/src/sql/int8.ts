/**
 * int8 (bigint) values arrive from PostgreSQL as decimal text. Chirp hands them to JS as numbers,
 * which is exact only up to Number.MAX_SAFE_INTEGER (2^53 - 1): anything larger throws instead of
 * silently rounding. Shared by both executors so the engines behave the same. (Only scalar int8
 * is parsed: no Chirp query returns an int8[].)
 */
export function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`int8 value ${text} is not a safe JavaScript integer`);
  }
  return n;
}

export const INT8_OID = 20;
