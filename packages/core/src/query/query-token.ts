/**
 * Query tokens: short-lived, signed by the control plane (Ed25519), verified by the worker
 * with the public key it received at registration. The format is
 * `ferry_qt_<base64url(JSON claims)>.<base64url(signature over the claims part)>`; the
 * prefix makes it a token family that log scrubbing recognises. A token names one cluster,
 * so a token for another cluster is refused even by a worker that trusts the same key.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const QUERY_TOKEN_PREFIX = 'ferry_qt_';
/** Matches a query token anywhere in a text (for log scrubbing). */
export const QUERY_TOKEN_PATTERN = /ferry_qt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

export interface QueryTokenClaims {
  readonly v: 1;
  /** The actor the token was issued to (a user or service account id). */
  readonly sub: string;
  readonly cluster: string;
  readonly workspace: string;
  readonly perm: 'queries:run';
  /** Issued at / expires at, in seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
  /** A unique id (audit, revocation lists). */
  readonly jti: string;
  /**
   * The credential that connected may use data connections (its scopes allow
   * `connections:use`); the control plane checks the actor's role again at each use.
   */
  readonly useConnections?: true;
}

export type QueryTokenRefusalReason = 'malformed' | 'bad_signature' | 'expired' | 'wrong_cluster';

export interface QueryTokenRefusal {
  readonly refused: QueryTokenRefusalReason;
  readonly message: string;
}

export type QueryTokenResult =
  | { readonly ok: true; readonly claims: QueryTokenClaims }
  | ({ readonly ok: false } & QueryTokenRefusal);

/** Signs claims into a token; `privateKey` is an Ed25519 key (KeyObject or PKCS#8 PEM). */
export function signQueryToken(privateKey: KeyObject | string, claims: QueryTokenClaims): string {
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(body, 'ascii'), privateKey).toString('base64url');
  return `${QUERY_TOKEN_PREFIX}${body}.${signature}`;
}

function refuse(refused: QueryTokenRefusalReason, message: string): QueryTokenResult {
  return { ok: false, refused, message };
}

function isClaims(v: unknown): v is QueryTokenClaims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    c.v === 1 &&
    typeof c.sub === 'string' &&
    typeof c.cluster === 'string' &&
    typeof c.workspace === 'string' &&
    c.perm === 'queries:run' &&
    Number.isInteger(c.iat) &&
    Number.isInteger(c.exp) &&
    typeof c.jti === 'string'
  );
}

/**
 * Verifies a token with the control plane's public key (SPKI PEM): the signature first,
 * then the expiry (`nowSeconds` ≥ `exp` is expired) and the cluster. Messages never
 * echo the token.
 */
export function verifyQueryToken(
  publicKey: KeyObject | string,
  token: string,
  expect: { readonly clusterId: string; readonly nowSeconds: number },
): QueryTokenResult {
  if (!token.startsWith(QUERY_TOKEN_PREFIX))
    return refuse('malformed', 'not a query token (ferry_qt_…)');
  const rest = token.slice(QUERY_TOKEN_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot !== rest.lastIndexOf('.'))
    return refuse('malformed', 'a query token has two parts');
  const body = rest.slice(0, dot);
  const signature = Buffer.from(rest.slice(dot + 1), 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return refuse('malformed', 'the claims are not base64url');
  let key: KeyObject;
  try {
    key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  } catch {
    return refuse('bad_signature', 'no usable public key to verify the token with');
  }
  let good: boolean;
  try {
    good = verify(null, Buffer.from(body, 'ascii'), key, signature);
  } catch {
    good = false;
  }
  if (!good) return refuse('bad_signature', 'the token is not signed by this control plane');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return refuse('malformed', 'the claims are not JSON');
  }
  if (!isClaims(claims)) return refuse('malformed', 'the claims are incomplete');
  if (expect.nowSeconds >= claims.exp)
    return refuse('expired', `the token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  if (claims.cluster !== expect.clusterId)
    return refuse('wrong_cluster', 'the token is for another cluster');
  return { ok: true, claims };
}
