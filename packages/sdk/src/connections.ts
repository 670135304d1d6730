/**
 * Data connections from code: prepare (the external ID and the policies for the data
 * owner), test, create, list, show, re-test, replace access keys and delete — the same
 * routes as `ferry connection …`, with the SDK's typed errors.
 *
 * ```ts
 * const { policies } = await prepareConnection({ target, name: 'sales' });
 * // … the data owner creates the role with policies.trustPolicy and policies.permissionsPolicy …
 * await createConnection({ name: 'sales', target, auth: { kind: 'role', roleArn, externalId: policies.externalId! } });
 * ```
 */
import type {
  ConnectionAccessKeys,
  ConnectionAuth,
  ConnectionTarget,
  ConnectionTest,
  CreateConnectionInput,
  DataConnection,
  DataConnectionDetail,
  PrepareConnectionInput,
  PreparedConnection,
} from './connection-types.ts';
import { ControlPlane } from './control-plane.ts';
import type { FerryConnectionOptions } from './settings.ts';

/** Where and as whom: the control plane and workspace (defaults from the environment). */
export type ConnectionsOptions = FerryConnectionOptions;

async function session(
  options: ConnectionsOptions,
): Promise<{ cp: ControlPlane; workspaceId: string }> {
  const cp = new ControlPlane(options);
  return { cp, workspaceId: await cp.workspaceId() };
}

/** Reserves an external ID and renders the policies the data owner copies. */
export async function prepareConnection(
  input: PrepareConnectionInput,
  options: ConnectionsOptions = {},
): Promise<PreparedConnection> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.prepare', { params: { workspaceId }, body: input });
}

/** Tests a connection before saving it: each check with AWS's answer. */
export async function testConnection(
  input: { readonly target: ConnectionTarget; readonly auth: ConnectionAuth },
  options: ConnectionsOptions = {},
): Promise<ConnectionTest> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.test', { params: { workspaceId }, body: input });
}

/** Saves a connection after a passing test (or Unverified with `skipTest`). */
export async function createConnection(
  input: CreateConnectionInput,
  options: ConnectionsOptions = {},
): Promise<DataConnectionDetail> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.create', { params: { workspaceId }, body: input });
}

/** Every connection of the workspace, by name. */
export async function listConnections(options: ConnectionsOptions = {}): Promise<DataConnection[]> {
  const { cp, workspaceId } = await session(options);
  const items: DataConnection[] = [];
  let cursor: string | undefined;
  do {
    const page = await cp.call('connections.list', {
      params: { workspaceId },
      query: { limit: 100, ...(cursor !== undefined ? { cursor } : {}) },
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

/** One connection, its last test and its policies. */
export async function getConnection(
  name: string,
  options: ConnectionsOptions = {},
): Promise<DataConnectionDetail> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.get', { params: { workspaceId, connectionName: name } });
}

/** Tests a saved connection now; its state follows the result. */
export async function retestConnection(
  name: string,
  options: ConnectionsOptions = {},
): Promise<DataConnectionDetail> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.retest', { params: { workspaceId, connectionName: name } });
}

/** Replaces an access-key connection's keys (tested first unless `skipTest`). */
export async function rotateConnectionKeys(
  name: string,
  keys: ConnectionAccessKeys & { readonly skipTest?: boolean | undefined },
  options: ConnectionsOptions = {},
): Promise<DataConnectionDetail> {
  const { cp, workspaceId } = await session(options);
  return cp.call('connections.rotateKeys', {
    params: { workspaceId, connectionName: name },
    body: keys,
  });
}

/** Deletes a connection (its stored keys are erased). */
export async function deleteConnection(
  name: string,
  options: ConnectionsOptions = {},
): Promise<void> {
  const { cp, workspaceId } = await session(options);
  await cp.call('connections.delete', { params: { workspaceId, connectionName: name } });
}
