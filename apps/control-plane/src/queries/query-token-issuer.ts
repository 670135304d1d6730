/**
 * Issues query tokens for direct mode: short-lived, naming the actor, the cluster, the
 * workspace and the permission, signed with the installation's Ed25519 key. The format is
 * the one workers verify: `ferry_qt_<base64url(claims JSON)>.<base64url(signature)>`.
 */
import { randomUUID, sign } from 'node:crypto';
import type { Resources } from '../resources.ts';
import { querySigningKey } from './query-signing-key.ts';

/** How long a query token lives. */
export const QUERY_TOKEN_TTL_SECONDS = 10 * 60;

/** What a query token says. */
export interface IssuedQueryToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** Signs a token for `actorId` on the cluster. */
export async function issueQueryToken(
  resources: Pick<Resources, 'db' | 'secrets' | 'clock'>,
  input: { actorId: string; clusterId: string; workspaceId: string },
): Promise<IssuedQueryToken> {
  const key = await querySigningKey(resources);
  const iat = Math.floor(resources.clock.now().getTime() / 1000);
  const exp = iat + QUERY_TOKEN_TTL_SECONDS;
  const claims = {
    v: 1,
    sub: input.actorId,
    cluster: input.clusterId,
    workspace: input.workspaceId,
    perm: 'queries:run',
    iat,
    exp,
    jti: randomUUID(),
  };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign(null, Buffer.from(body), key.privateKey).toString('base64url');
  return { token: `ferry_qt_${body}.${signature}`, expiresAt: new Date(exp * 1000) };
}
