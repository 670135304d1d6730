/**
 * What a node gets for a query that reads through data connections: each named
 * connection's session (its role assumed with a read-only session policy under its prefix,
 * `connection-query-credentials.ts`), over the node's authenticated channel only. The node
 * proves the query's actor: in direct mode with the client's query token (signed here, for
 * the node's cluster, issued to a credential whose scopes allow `connections:use`), in proxy
 * mode with the query's own record (delivered to that node, still running, and naming the
 * connections at its submission). The actor's role is checked again at every hand-out, so
 * a revoked member or service account gets nothing more. Credentials are never stored,
 * logged or returned anywhere else.
 */
import type { CallInput, CallOutput } from '@ferry/api';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  SERVICE_ACCOUNT_PERMISSIONS,
  effectiveWorkspaceRole,
  workspaceRoleAllows,
} from '@ferry/core';
import { verifyQueryToken } from '@ferry/core/query-token';
import { lookUpScope } from '../authz/scope-lookup.ts';
import { AssumeRoleError, type BrokerActor } from '../aws/credential-broker.ts';
import { nodeOfToken } from '../queries/node-queries.ts';
import { querySigningKey } from '../queries/query-signing-key.ts';
import type { Resources } from '../resources.ts';
import { connectionScanCredentials } from './connection-query-credentials.ts';

const USE = 'connections:use';

const forbidden = () => new ForbiddenError(`Missing permission ${USE}.`);

/** Throws ForbiddenError unless the actor may still use connections in the workspace. */
export async function checkActorMayUseConnections(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  actor: BrokerActor & { kind: 'user' | 'service-account' },
): Promise<void> {
  if (actor.kind === 'service-account') {
    const sa = await resources.db
      .selectFrom('service_accounts')
      .select(['workspace_id', 'scopes', 'revoked_at'])
      .where('id', '=', actor.id)
      .executeTakeFirst();
    const scopes = sa?.scopes ?? [];
    if (
      sa === undefined ||
      sa.revoked_at !== null ||
      sa.workspace_id !== workspaceId ||
      !scopes.includes(USE) ||
      !(SERVICE_ACCOUNT_PERMISSIONS as readonly string[]).includes(USE)
    )
      throw forbidden();
    return;
  }
  const facts = await lookUpScope(resources.db, { kind: 'workspace', id: workspaceId }, actor.id);
  const role = effectiveWorkspaceRole(
    facts.orgRole ?? undefined,
    facts.workspaceMemberRole ?? undefined,
  );
  if (facts.workspace === null || role === undefined || !workspaceRoleAllows(role, USE))
    throw forbidden();
}

const actorOf = (id: string): BrokerActor & { kind: 'user' | 'service-account' } =>
  id.startsWith('sa_') ? { kind: 'service-account', id } : { kind: 'user', id };

/** The `nodes.queries.connections` route: the sessions of a query's connections. */
export async function grantQueryConnections(
  resources: Resources,
  token: string | undefined,
  queryId: string,
  body: CallInput<'nodes.queries.connections'>['body'],
): Promise<CallOutput<'nodes.queries.connections'>> {
  const node = await nodeOfToken(resources, token);
  const row = await resources.db
    .selectFrom('queries')
    .select(['cluster_id', 'instance_id', 'mode', 'state', 'actor_id', 'connections'])
    .where('id', '=', queryId)
    .executeTakeFirst();
  // Another cluster's query looks like a missing one.
  if (row !== undefined && row.cluster_id !== node.clusterId)
    throw new NotFoundError(`Query ${queryId} was not found.`);
  let actorId: string;
  if (body.queryToken !== undefined) {
    if (row !== undefined && row.mode !== 'direct')
      throw new NotFoundError(`Query ${queryId} was not found.`);
    const key = await querySigningKey(resources);
    const verified = verifyQueryToken(key.publicKeyPem, body.queryToken, {
      clusterId: node.clusterId,
      nowSeconds: Math.floor(resources.clock.now().getTime() / 1000),
    });
    if (!verified.ok) throw new ForbiddenError(`The query token was refused: ${verified.message}.`);
    if (verified.claims.workspace !== node.workspaceId) throw forbidden();
    // The credential that connected was not allowed to use connections (its scopes).
    if (verified.claims.useConnections !== true) throw forbidden();
    actorId = verified.claims.sub;
  } else {
    if (row?.mode !== 'proxy' || row.instance_id !== node.instanceId)
      throw new NotFoundError(`Query ${queryId} was not found.`);
    const named = row.connections ?? [];
    const extra = body.connections.filter((n) => !named.includes(n));
    if (extra.length > 0)
      throw new ForbiddenError(
        `Query ${queryId} did not name the connection${extra.length > 1 ? 's' : ''} ${extra.map((n) => `"${n}"`).join(', ')} when it was submitted.`,
      );
    actorId = row.actor_id;
  }
  if (row !== undefined && row.state !== 'Queued' && row.state !== 'Running')
    throw new ConflictError('query_finished', `Query ${queryId} is ${row.state}.`);
  const actor = actorOf(actorId);
  await checkActorMayUseConnections(resources, node.workspaceId, actor);
  const cluster = await resources.db
    .selectFrom('clusters')
    .select(['org_id'])
    .where('id', '=', node.clusterId)
    .executeTakeFirstOrThrow();
  const connections = [];
  for (const name of body.connections) {
    const scan = await connectionScanCredentials(resources, {
      orgId: cluster.org_id,
      workspaceId: node.workspaceId,
      name,
      actor,
      queryId,
    }).catch((err: unknown) => {
      if (!(err instanceof AssumeRoleError)) throw err;
      throw new ConflictError(
        'connection_unavailable',
        `Connection "${name}": assuming its role failed with ${err.awsCode}; test the connection (ferry connection test ${name}).`,
      );
    });
    const c = scan.credentials;
    connections.push({
      name: scan.name,
      bucket: scan.bucket,
      prefix: scan.prefix,
      region: scan.region,
      credentials: {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
        ...(c.expiration === undefined ? {} : { expiration: c.expiration.toISOString() }),
      },
    });
  }
  return { connections };
}
