/**
 * UUIDs as 22-character base64url strings (16 bytes) instead of 36 characters: Redis keeps one
 * per timeline entry, 800 entries per cached user, so this is most of the member bytes.
 * base64url has no '~' or '.', the characters the Redis adapter reserves for its marker members.
 */
export function compactUuid(uuid: string): string {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}

export function expandUuid(compact: string): string {
  const hex = Buffer.from(compact, 'base64url').toString('hex');
  if (hex.length !== 32) throw new TypeError(`not a compact UUID: ${JSON.stringify(compact)}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
