/**
 * Prefixed, time-sortable identifiers (`org_01j…`). The prefix names the kind, so a
 * workspace id can never be mistaken for an organization id; the body is a ULID-like
 * 26-character Crockford base32 string (48-bit millisecond time + 80 random bits) in
 * lower case, so ids sort by creation time and make stable pagination cursors.
 */

/** Every kind of id ferry issues, and its prefix. */
export const ID_PREFIXES = {
  user: 'usr',
  org: 'org',
  workspace: 'ws',
  session: 'ses',
  token: 'tok',
  serviceAccount: 'sa',
  invitation: 'inv',
  audit: 'aud',
  setup: 'stp',
  request: 'req',
  cluster: 'cl',
  query: 'qry',
  connection: 'con',
  ingestion: 'ing',
  device: 'dev',
} as const;

/** A kind of id. */
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const BODY_LENGTH = 26;

/** Pattern of a valid id body. */
export const ID_BODY_PATTERN = `[0-9a-hjkmnp-tv-z]{${BODY_LENGTH}}`;

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(t % 32) + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += ALPHABET.charAt(b % 32);
  return out;
}

/** A new id of the given kind, e.g. `newId('org')` → `org_01jd…`. */
export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(now)}${encodeRandom()}`;
}

/** The regular expression a well-formed id of the kind matches. */
export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${ID_PREFIXES[kind]}_${ID_BODY_PATTERN}$`);
}

/** True when `value` is a well-formed id of the kind (says nothing about existence). */
export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === 'string' && idPattern(kind).test(value);
}
