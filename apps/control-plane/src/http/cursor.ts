/**
 * Opaque pagination cursors. Lists are ordered by a time-sortable id, so a cursor is just
 * the last id seen, wrapped so clients do not build their own.
 */
import { ValidationError } from '@ferry/core';

const VERSION = 'c1';

/** The cursor that continues after `lastKey`. */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(`${VERSION}:${lastKey}`, 'utf8').toString('base64url');
}

/** The key a cursor continues after; a forged or corrupt cursor is a 400 naming `query.cursor`. */
export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const key = text.startsWith(`${VERSION}:`) ? text.slice(VERSION.length + 1) : '';
  if (!/^[a-z]{2,3}_[0-9a-z]{26}$/.test(key)) {
    throw new ValidationError('Invalid cursor.', {
      details: [{ path: 'query.cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return key;
}

/** Default and maximum page sizes. */
export const DEFAULT_PAGE_SIZE = 50;

/** Turns `limit + 1` fetched rows into a page and its next cursor. */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => string,
  map: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return {
    items: kept.map(map),
    nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
