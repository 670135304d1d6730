/**
 * A workspace's AWS connection as compute sees it: region, roles, network and the Worker
 * instance profile from the stack's outputs, and EC2 clients signed with a role session
 * the credential broker issued for an actor. Compute runs only in Active or Degraded
 * workspaces (Degraded still launches: a drifted permission shows up as AWS's own error).
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { CustomerRole } from '@ferry/aws-template';
import { ConflictError } from '@ferry/core';
import type { Resources } from '../resources.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';

/** What compute needs to act in a workspace's account. */
export interface WorkspaceAws {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly accountId: string;
  readonly region: string;
  readonly externalId: string;
  readonly roleArns: Readonly<Record<CustomerRole, string>>;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroups: { readonly direct: string; readonly proxy: string };
  readonly workerInstanceProfileArn: string;
}

/** The workspace is not connected to AWS (or its connection failed). */
export class WorkspaceNotConnectedError extends ConflictError {
  constructor(workspaceId: string, status: string) {
    super(
      'workspace_not_connected',
      `Workspace ${workspaceId} has no active AWS connection (status ${status}): connect it first.`,
    );
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? v.split(',') : [];

/** Loads the connection; throws WorkspaceNotConnectedError unless Active or Degraded. */
export async function loadWorkspaceAws(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
): Promise<WorkspaceAws> {
  const row = await resources.db
    .selectFrom('aws_setups')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined) throw new WorkspaceNotConnectedError(workspaceId, 'none');
  if ((row.status !== 'active' && row.status !== 'degraded') || row.account_id === null) {
    throw new WorkspaceNotConnectedError(workspaceId, row.status);
  }
  const o = row.outputs;
  return {
    workspaceId,
    orgId: row.org_id,
    accountId: row.account_id,
    region: row.region,
    externalId: row.external_id,
    roleArns: {
      UserInitiated: str(o.UserInitiatedRoleArn),
      Unattended: str(o.UnattendedRoleArn),
      Worker: str(o.WorkerRoleArn),
    },
    vpcId: str(o.VpcId),
    subnetIds: list(o.SubnetIds),
    securityGroups: {
      direct: str(o.DirectSecurityGroupId),
      proxy: str(o.ProxySecurityGroupId),
    },
    workerInstanceProfileArn: str(o.WorkerInstanceProfileArn),
  };
}

/**
 * An EC2 client of the workspace's region signed as `role` for `actor` (credentials from
 * the broker's cache). The caller destroys it when done.
 */
export async function ec2As(
  resources: Resources,
  ws: WorkspaceAws,
  role: CustomerRole,
  actor: BrokerActor,
): Promise<EC2Client> {
  const { broker, clients } = resources.aws;
  const credentials = await broker.assume({
    orgId: ws.orgId,
    workspaceId: ws.workspaceId,
    roleArn: ws.roleArns[role],
    externalId: ws.externalId,
    // Cached per role and actor: the session name names who acts.
    actor,
  });
  return clients.ec2(credentials, ws.region);
}
