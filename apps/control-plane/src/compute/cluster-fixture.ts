/**
 * Test fixture: clusters and nodes written the way the start route and the launcher write
 * them, without AWS — selection runs on a small fixed catalog, the row, its `start` event
 * and the launch job go through `recordStartingCluster`, and nodes are recorded as the
 * launcher records CreateFleet's instances (with the bootstrap token's hash on the cluster).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_PRICE_TABLE,
  normalizeComputeContext,
  selectInstance,
  type InstanceTypeFacts,
} from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import type { Resources } from '../resources.ts';
import { createUser } from '../identity/users.ts';
import { createOrg } from '../orgs/orgs.ts';
import {
  sessionUser,
  TEST_PASSWORD,
  TEST_SCRYPT,
  testEmail,
  type TestCaller,
} from '../routes/api-test-kit.ts';
import { createWorkspace } from '../workspaces/workspaces.ts';
import type { ClusterRow } from './cluster-transitions.ts';
import { recordStartingCluster, type StartActor } from './start-cluster.ts';

const facts = (instanceType: string, vcpus: number, memoryGiB: number): InstanceTypeFacts => ({
  instanceType,
  vcpus,
  memoryMiB: memoryGiB * 1024,
  architectures: ['x86_64'],
  currentGeneration: true,
  bareMetal: false,
  burstable: false,
  instanceStorageGB: 0,
});

/** The fixture's catalog: two sizes of one family, offered in two zones. */
export const FIXTURE_CATALOG = [facts('m7i.large', 2, 8), facts('m7i.xlarge', 4, 16)];
const ZONES = ['us-east-1a', 'us-east-1b'];

/** Options of {@link insertCluster}. */
export interface FixtureCluster {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly manifest?: string;
  /** A compute context as clients send it (default: `{}`). */
  readonly context?: Record<string, unknown>;
  readonly actor?: StartActor;
  readonly now?: Date;
}

/** A Starting cluster with its bootstrap token (as the launcher would have set it). */
export async function insertCluster(
  resources: Pick<Resources, 'db' | 'jobs' | 'clock'>,
  input: FixtureCluster,
): Promise<{ cluster: ClusterRow; reused: boolean; bootstrapToken: string }> {
  const context = normalizeComputeContext(input.context ?? {}, { minIdleTimeoutMins: 1 });
  const selection = selectInstance({
    context,
    region: 'us-east-1',
    catalog: FIXTURE_CATALOG,
    subnets: ZONES.map((z, i) => ({ subnetId: `subnet-${i}`, availabilityZone: z })),
    offerings: new Map(ZONES.map((z) => [z, new Set(FIXTURE_CATALOG.map((t) => t.instanceType))])),
    prices: DEFAULT_PRICE_TABLE,
  });
  const result = await recordStartingCluster(resources, {
    workspaceId: input.workspaceId,
    orgId: input.orgId,
    region: 'us-east-1',
    manifest: input.manifest ?? null,
    context,
    selection,
    actor: input.actor ?? { kind: 'user', id: 'usr_00000000000000000000000000' },
    now: input.now ?? resources.clock.now(),
  });
  const bootstrapToken = `ferry_boot_${randomBytes(24).toString('base64url')}`;
  if (!result.reused) {
    await resources.db
      .updateTable('clusters')
      .set({ bootstrap_token_hash: createHash('sha256').update(bootstrapToken).digest('hex') })
      .where('id', '=', result.cluster.id)
      .execute();
  }
  return { ...result, bootstrapToken };
}

let instanceCounter = 0;

/** A fresh EC2-looking instance id. */
export function fixtureInstanceId(): string {
  instanceCounter += 1;
  return `i-0${(Date.now() * 1000 + instanceCounter).toString(16).padStart(16, '0').slice(-16)}`;
}

/** Records an instance of the cluster the way the launcher does after CreateFleet. */
export async function recordNode(
  resources: Pick<Resources, 'db' | 'clock'>,
  cluster: ClusterRow,
  options: { instanceId?: string; launchedAt?: Date; terminatedAt?: Date } = {},
): Promise<string> {
  const instanceId = options.instanceId ?? fixtureInstanceId();
  const type = FIXTURE_CATALOG.find((t) => t.instanceType === cluster.instance_type);
  const context = cluster.context as { storageGiB?: number };
  await resources.db
    .insertInto('cluster_nodes')
    .values({
      instance_id: instanceId,
      cluster_id: cluster.id,
      workspace_id: cluster.workspace_id,
      instance_type: cluster.instance_type ?? 'm7i.large',
      availability_zone: 'us-east-1a',
      private_ip: null,
      ec2_state: options.terminatedAt ? 'terminated' : 'pending',
      agent_state: null,
      vcpus: type?.vcpus ?? 2,
      memory_gib: (type?.memoryMiB ?? 8192) / 1024,
      storage_gib: context.storageGiB ?? 32,
      usd_per_hour: cluster.usd_per_hour ?? 0,
      node_token_hash: null,
      launched_at: options.launchedAt ?? resources.clock.now(),
      registered_at: null,
      last_heartbeat_at: null,
      terminated_at: options.terminatedAt ?? null,
    })
    .execute();
  return instanceId;
}

/** A signed-in owner with an organization and a workspace, through the API. */
export async function ownerWithWorkspace(
  app: FastifyInstance,
  resources: Resources,
): Promise<{ owner: TestCaller; orgId: string; workspaceId: string }> {
  const owner = await sessionUser(app, resources);
  const org = await owner.call('orgs.create', { body: { name: 'Compute Org' } });
  const orgId = (org.body as { id: string }).id;
  const ws = await owner.call('workspaces.create', {
    params: { orgId },
    body: { name: `compute-${fixtureInstanceId().slice(-8)}` },
  });
  return { owner, orgId, workspaceId: (ws.body as { id: string }).id };
}

/** A user, organization and workspace written directly (for tests without the HTTP app). */
export async function workspaceRows(
  resources: Pick<Resources, 'db' | 'clock'>,
): Promise<{ userId: string; orgId: string; workspaceId: string }> {
  const now = resources.clock.now();
  const user = await createUser(resources.db, {
    email: testEmail('compute'),
    name: 'Compute',
    password: TEST_PASSWORD,
    instanceAdmin: false,
    now,
    scrypt: TEST_SCRYPT,
  });
  const org = await createOrg(resources.db, user.id, 'Compute Org', now);
  const ws = await createWorkspace(resources.db, {
    orgId: org.id,
    userId: user.id,
    orgRole: 'admin',
    settings: { name: `compute-${fixtureInstanceId().slice(-8)}` },
    now,
  });
  return { userId: user.id, orgId: org.id, workspaceId: ws.id };
}
