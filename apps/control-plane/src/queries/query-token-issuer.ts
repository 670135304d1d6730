/**
 * Issues query tokens for direct mode: short-lived, naming the actor, the cluster, the
 * workspace and the permission, signed with the installation's Ed25519 key (the format of
 * `@ferry/core`'s query tokens, which workers verify).
 */
import { randomUUID } from 'node:crypto';
import { signQueryToken } from '@ferry/core/query-token';
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
  input: { actorId: string; clusterId: string; workspaceId: string; useConnections?: boolean },
): Promise<IssuedQueryToken> {
  const key = await querySigningKey(resources);
  const iat = Math.floor(resources.clock.now().getTime() / 1000);
  const exp = iat + QUERY_TOKEN_TTL_SECONDS;
  const token = signQueryToken(key.privateKey, {
    v: 1,
    sub: input.actorId,
    cluster: input.clusterId,
    workspace: input.workspaceId,
    perm: 'queries:run',
    iat,
    exp,
    jti: randomUUID(),
    ...(input.useConnections === true ? { useConnections: true as const } : {}),
  });
  return { token, expiresAt: new Date(exp * 1000) };
}
