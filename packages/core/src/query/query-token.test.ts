import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  signQueryToken,
  verifyQueryToken,
  QUERY_TOKEN_PATTERN,
  type QueryTokenClaims,
} from './query-token.ts';

const keys = generateKeyPairSync('ed25519');
const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const claims: QueryTokenClaims = {
  v: 1,
  sub: 'usr_1',
  cluster: 'cl_a',
  workspace: 'ws_1',
  perm: 'queries:run',
  iat: 1000,
  exp: 1300,
  jti: 'j1',
};

describe('query tokens', () => {
  const token = signQueryToken(keys.privateKey, claims);

  it('verifies a token signed by the key, for its cluster, before expiry', () => {
    expect(token).toMatch(/^ferry_qt_/);
    expect(token.match(QUERY_TOKEN_PATTERN)).toEqual([token]);
    expect(verifyQueryToken(pem, token, { clusterId: 'cl_a', nowSeconds: 1299 })).toEqual({
      ok: true,
      claims,
    });
  });

  it('refuses another cluster, an expired token, another key, tampering and garbage', () => {
    expect(verifyQueryToken(pem, token, { clusterId: 'cl_b', nowSeconds: 1100 })).toMatchObject({
      ok: false,
      refused: 'wrong_cluster',
    });
    expect(verifyQueryToken(pem, token, { clusterId: 'cl_a', nowSeconds: 1300 })).toMatchObject({
      refused: 'expired',
    });
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyQueryToken(other, token, { clusterId: 'cl_a', nowSeconds: 1100 })).toMatchObject({
      refused: 'bad_signature',
    });
    const forged = signQueryToken(keys.privateKey, { ...claims, cluster: 'cl_b' });
    const spliced = `${forged.split('.')[0]}.${token.split('.')[1]}`;
    expect(verifyQueryToken(pem, spliced, { clusterId: 'cl_b', nowSeconds: 1100 })).toMatchObject({
      refused: 'bad_signature',
    });
    for (const bad of ['', 'Bearer x', 'ferry_qt_', 'ferry_qt_a.b.c', 'ferry_qt_!!.x'])
      expect(verifyQueryToken(pem, bad, { clusterId: 'cl_a', nowSeconds: 1100 })).toMatchObject({
        ok: false,
        refused: 'malformed',
      });
    const incomplete = signQueryToken(keys.privateKey, { ...claims, perm: 'x' } as never);
    expect(
      verifyQueryToken(pem, incomplete, { clusterId: 'cl_a', nowSeconds: 1100 }),
    ).toMatchObject({
      refused: 'malformed',
    });
  });
});
