import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compactUuid, expandUuid } from '../src/compact-uuid.ts';

describe('compact UUIDs', () => {
  test('22 base64url characters that expand back to the same lowercase UUID, first time and remembered', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const compact = compactUuid(uuid);
        expect(compact).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(expandUuid(compact)).toBe(uuid.toLowerCase());
        expect(expandUuid(compact)).toBe(uuid.toLowerCase());
      }),
    );
  });

  test('anything else is refused', () => {
    for (const bad of ['', 'abc', '~', 'A'.repeat(30)]) expect(() => expandUuid(bad)).toThrow(TypeError);
  });
});
