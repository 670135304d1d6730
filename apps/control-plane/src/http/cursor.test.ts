import { ValidationError, newId } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, toPage } from './cursor.ts';

describe('cursors', () => {
  it('round-trip an id and reject anything forged', () => {
    const id = newId('org');
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    for (const bad of [
      'x',
      Buffer.from('c1:nope').toString('base64url'),
      encodeCursor("org_' or 1=1"),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
    }
  });

  it('turn limit + 1 rows into a page with a next cursor', () => {
    const rows = [newId('org'), newId('org'), newId('org')];
    const page = toPage(
      rows,
      2,
      (r) => r,
      (r) => r,
    );
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(page.nextCursor!)).toBe(rows[1]);
    expect(
      toPage(
        rows,
        3,
        (r) => r,
        (r) => r,
      ).nextCursor,
    ).toBeNull();
  });
});
