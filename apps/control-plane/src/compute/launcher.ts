/**
 * The launch job: a Starting cluster's launch template and instant EC2 Fleet, with the
 * UserInitiated role as the user who started it.
 *
 * Crash safety, step by step:
 * - The launch template is named `ferry-<clusterId>`; its id and the sha256 of the
 *   bootstrap token inside its user-data are recorded together after it is created. A crash
 *   in between leaves a template nobody knows the token of: the next run finds the name
 *   taken, deletes that template and creates a fresh one.
 * - `launch_attempt` and `launched_at` are written before each CreateFleet, whose
 *   ClientToken derives from the cluster and attempt: a run repeated after a crash resends
 *   the same token and EC2 answers with the same fleet instead of a second one. If the
 *   repeat cannot send identical parameters (EC2 answers IdempotentParameterMismatch), the
 *   cluster's tagged instances are looked up and recorded instead, and the next attempt
 *   launches only what is still missing. Whatever slips through is the reconciler's to
 *   adopt or terminate (every instance carries the cluster's tags).
 * - Throttling and 5xx answers are retried with the same token; a capacity error moves to
 *   the next zone, then the next-cheapest type; anything else fails the cluster with AWS's
 *   code and message.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CreateFleetCommand, CreateFleetCommandOutput, EC2Client } from '@aws-sdk/client-ec2';
import {
  CapacityExhaustedError,
  classifyAwsError,
  planLaunch,
  tagSpecifications,
  workerUserData,
  type ComputeContext,
  type ExhaustedPool,
  type LaunchPlan,
  type RetryPolicy,
  type Selection,
} from '@ferry/core';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { startedBy } from './cluster-actor.ts';
import { applyClusterEvent, touchCluster, type ClusterRow } from './cluster-transitions.ts';
import {
  abortable,
  describeAwsError,
  retryEc2,
  type CallCounter,
  type SendOptions,
} from './ec2-retry.ts';
import { loadPlacement, type Placement } from './instance-choice.ts';
import { describeInstancesById, observeInstances } from './observe.ts';
import { recordNodes, type NodeToRecord } from './node-records.ts';
import { terminateInstances } from './stopper.ts';
import { NoWorkerBundleError, workerBundlePin } from './worker-bundle-store.ts';
import { WorkerImageNotFoundError, workerImageId, type ImageArchitecture } from './worker-image.ts';
import {
  ec2As,
  loadWorkspaceAws,
  WorkspaceNotConnectedError,
  type WorkspaceAws,
} from './workspace-aws.ts';

/** The launch template name of a cluster. */
export function launchTemplateName(clusterId: string): string {
  return `ferry-${clusterId}`;
}

/** The sha256 (hex) of a bootstrap or node token: all the database keeps of it. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** CreateFleet attempts one run may send before leaving the rest to the job's next run. */
const MAX_ATTEMPTS_PER_RUN = 20;

/** A fresh one-time bootstrap token. */
export function newBootstrapToken(): string {
  return `ferry_boot_${randomBytes(24).toString('base64url')}`;
}

/** What one launch job run did. */
export interface LaunchOutcome {
  readonly status: 'launched' | 'skipped' | 'failed';
  readonly instanceIds: readonly string[];
  readonly fleetIds: readonly string[];
  /** CreateFleet attempts sent by this run (counting a resent token once). */
  readonly attempts: number;
  readonly awsCalls: number;
  readonly error?: { code: string; message: string };
}

/** Options of {@link launchCluster}. */
export interface LaunchOptions {
  readonly signal?: AbortSignal;
  readonly policy?: RetryPolicy;
  readonly rng?: () => number;
}

/** The types to try, cheapest first, all of the chosen type's architecture (one image). */
function typesToTry(
  selection: Selection,
  placement: Placement,
): { types: string[]; arch: ImageArchitecture } {
  const archOf = (t: string): ImageArchitecture => {
    const archs = placement.catalog.find((c) => c.instanceType === t)?.architectures ?? [];
    return archs.includes('x86_64') ? 'x86_64' : archs.includes('arm64') ? 'arm64' : 'x86_64';
  };
  const arch = archOf(selection.instanceType);
  const types = [selection.instanceType, ...selection.fallbacks.map((f) => f.instanceType)].filter(
    (t) => archOf(t) === arch,
  );
  return { types, arch };
}

async function loadCluster(
  resources: Resources,
  clusterId: string,
): Promise<ClusterRow | undefined> {
  return resources.db
    .selectFrom('clusters')
    .selectAll()
    .where('id', '=', clusterId)
    .executeTakeFirst();
}

async function activeNodeCount(resources: Resources, clusterId: string): Promise<number> {
  const row = await resources.db
    .selectFrom('cluster_nodes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('cluster_id', '=', clusterId)
    .where('ec2_state', 'not in', ['shutting-down', 'terminated'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Fails the cluster with AWS's (or ferry's) error. */
export async function failCluster(
  resources: Resources,
  clusterId: string,
  error: { code: string; message: string },
): Promise<void> {
  await applyClusterEvent(resources, clusterId, { type: 'fail', error });
}

/**
 * Creates the cluster's launch template (or returns the recorded one), recording its id and
 * the bootstrap token's hash together.
 */
async function ensureLaunchTemplate(
  resources: Resources,
  ec2: EC2Client,
  ws: WorkspaceAws,
  row: ClusterRow,
  imageId: string,
  send: SendOptions,
): Promise<string> {
  if (row.launch_template_id !== null) return row.launch_template_id;
  const context = row.context as unknown as ComputeContext;
  const name = launchTemplateName(row.id);
  const token = newBootstrapToken();
  // Built once per version and kept on disk; the first launch after a change waits for it.
  const bundle = await workerBundlePin(resources);
  const userData = workerUserData({
    controlPlaneUrl: resources.config.publicUrl,
    clusterId: row.id,
    bootstrapToken: token,
    workerCommand: resources.config.compute.workerCommand,
    heartbeatSeconds: resources.config.compute.heartbeatSeconds,
    idleTimeoutMins: context.idleTimeoutMins,
    bundle,
  });
  const {
    CreateLaunchTemplateCommand,
    DescribeLaunchTemplatesCommand,
    DeleteLaunchTemplateCommand,
  } = await loadEc2Sdk();
  const create = new CreateLaunchTemplateCommand({
    LaunchTemplateName: name,
    VersionDescription: `ferry cluster ${row.id}`,
    LaunchTemplateData: {
      ImageId: imageId,
      IamInstanceProfile: { Arn: ws.workerInstanceProfileArn },
      SecurityGroupIds: [ws.securityGroups[context.connectionMode]],
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: { VolumeSize: context.storageGiB, VolumeType: 'gp3', DeleteOnTermination: true },
        },
      ],
      MetadataOptions: {
        HttpTokens: 'required',
        HttpEndpoint: 'enabled',
        HttpPutResponseHopLimit: 2,
      },
      InstanceInitiatedShutdownBehavior: 'terminate',
      UserData: Buffer.from(userData, 'utf8').toString('base64'),
      TagSpecifications: tagSpecifications(ws.workspaceId, row.id, [
        'instance',
        'volume',
        'network-interface',
      ]),
    },
    TagSpecifications: tagSpecifications(ws.workspaceId, row.id, ['launch-template']),
  });
  let templateId: string | undefined;
  try {
    const out = await retryEc2((signal) => ec2.send(create, abortable(signal)), send);
    templateId = out.LaunchTemplate?.LaunchTemplateId;
  } catch (err) {
    if (describeAwsError(err).code !== 'InvalidLaunchTemplateName.AlreadyExistsException')
      throw err;
    // Left by a run that crashed before recording it: its token is unknown, so replace it.
    const found = await retryEc2(
      (signal) =>
        ec2.send(
          new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }),
          abortable(signal),
        ),
      send,
    );
    for (const t of found.LaunchTemplates ?? []) {
      if (!t.LaunchTemplateId) continue;
      const id = t.LaunchTemplateId;
      await retryEc2(
        (signal) =>
          ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }), abortable(signal)),
        send,
      );
    }
    const out = await retryEc2((signal) => ec2.send(create, abortable(signal)), send);
    templateId = out.LaunchTemplate?.LaunchTemplateId;
  }
  if (!templateId) throw new Error(`CreateLaunchTemplate ${name} answered no id`);
  const now = resources.clock.now();
  await touchCluster(resources.db, row.id, now, {
    launch_template_id: templateId,
    bootstrap_token_hash: tokenHash(token),
  });
  return templateId;
}

/** Writes the attempt before its CreateFleet is sent; false when the cluster stopped meanwhile. */
async function recordAttempt(
  resources: Resources,
  clusterId: string,
  attempt: number,
): Promise<boolean> {
  return resources.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('clusters')
      .select(['state'])
      .where('id', '=', clusterId)
      .forUpdate()
      .executeTakeFirst();
    if (row?.state !== 'Starting') return false;
    await touchCluster(trx, clusterId, resources.clock.now(), {
      launch_attempt: attempt,
      launched_at: resources.clock.now(),
    });
    return true;
  });
}

async function fleetCommand(
  ws: WorkspaceAws,
  clusterId: string,
  templateId: string,
  plan: LaunchPlan,
): Promise<CreateFleetCommand> {
  const { CreateFleetCommand } = await loadEc2Sdk();
  return new CreateFleetCommand({
    Type: 'instant',
    ClientToken: plan.clientToken,
    TargetCapacitySpecification: {
      TotalTargetCapacity: plan.targetCapacity,
      OnDemandTargetCapacity: plan.targetCapacity,
      DefaultTargetCapacityType: 'on-demand',
    },
    OnDemandOptions: { AllocationStrategy: 'prioritized' },
    LaunchTemplateConfigs: [
      {
        LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: '$Latest' },
        Overrides: plan.overrides.map((o) => ({
          InstanceType: o.InstanceType as never,
          SubnetId: o.SubnetId,
          AvailabilityZone: o.AvailabilityZone,
          Priority: o.Priority,
        })),
      },
    ],
    TagSpecifications: tagSpecifications(ws.workspaceId, clusterId, ['fleet']),
  });
}

/** Launches a Starting cluster; idempotent across repeated runs (see the module comment). */
export async function launchCluster(
  resources: Resources,
  clusterId: string,
  options: LaunchOptions = {},
): Promise<LaunchOutcome> {
  const counter: CallCounter = { calls: 0 };
  const send: SendOptions = {
    counter,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.rng ? { rng: options.rng } : {}),
  };
  const instanceIds: string[] = [];
  const fleetIds: string[] = [];
  let attempts = 0;
  const outcome = (
    status: LaunchOutcome['status'],
    error?: { code: string; message: string },
  ): LaunchOutcome => ({
    status,
    instanceIds,
    fleetIds,
    attempts,
    awsCalls: counter.calls,
    ...(error ? { error } : {}),
  });

  const row = await loadCluster(resources, clusterId);
  if (row?.state !== 'Starting') return outcome('skipped');
  const context = row.context as unknown as ComputeContext;
  let ws: WorkspaceAws;
  try {
    ws = await loadWorkspaceAws(resources, row.workspace_id);
  } catch (err) {
    if (!(err instanceof WorkspaceNotConnectedError)) throw err;
    const error = { code: err.code, message: err.message };
    await failCluster(resources, clusterId, error);
    return outcome('failed', error);
  }
  const actor = startedBy(row);
  const ec2 = await ec2As(resources, ws, 'UserInitiated', actor);
  try {
    const placement = await loadPlacement(resources, ws, actor, counter);
    const selection = row.selection as unknown as Selection | null;
    if (!selection) {
      const error = { code: 'no_selection', message: 'The cluster has no instance selection.' };
      await failCluster(resources, clusterId, error);
      return outcome('failed', error);
    }
    const { types, arch } = typesToTry(selection, placement);

    let templateId: string;
    try {
      const imageId = await workerImageId(resources, ec2, ws, arch, counter);
      templateId = await ensureLaunchTemplate(resources, ec2, ws, row, imageId, send);
    } catch (err) {
      // Throttling is retried by the job; AWS's refusal or a missing image fails the cluster.
      const isAws = err !== null && typeof err === 'object' && '$metadata' in err;
      const ours = err instanceof WorkerImageNotFoundError || err instanceof NoWorkerBundleError;
      if (!isAws && !ours) throw err;
      const d = describeAwsError(err);
      if (d.kind === 'throttle') throw err;
      if (ours) {
        d.code = err.code;
        d.message = err.message;
      }
      const error = { code: d.code, message: d.message };
      await failCluster(resources, clusterId, error);
      return outcome('failed', error);
    }

    let attempt = row.launch_attempt;
    const exhausted: ExhaustedPool[] = [];
    let lastError: { code: string; message: string } | undefined;
    for (;;) {
      const remaining = context.clusterSize - (await activeNodeCount(resources, clusterId));
      if (remaining <= 0) break;
      if (attempts >= MAX_ATTEMPTS_PER_RUN) {
        throw new Error(
          `cluster ${clusterId}: ${attempts} launch attempts in one run; retrying later`,
        );
      }
      let plan: LaunchPlan;
      try {
        plan = planLaunch({
          clusterId,
          attempt,
          instanceTypes: types,
          subnets: placement.subnets,
          offerings: placement.offerings,
          exhausted,
          targetCapacity: remaining,
        });
      } catch (err) {
        if (!(err instanceof CapacityExhaustedError)) throw err;
        const error = lastError ?? { code: 'InsufficientInstanceCapacity', message: err.message };
        await failCluster(resources, clusterId, error);
        return outcome('failed', error);
      }
      if (!(await recordAttempt(resources, clusterId, plan.attempt))) return outcome('skipped');
      attempts++;
      const command = await fleetCommand(ws, clusterId, templateId, plan);
      let result: CreateFleetCommandOutput;
      try {
        result = await retryEc2((signal) => ec2.send(command, abortable(signal)), send);
      } catch (err) {
        const d = describeAwsError(err);
        if (d.code === 'IdempotentParameterMismatch') {
          // An earlier run sent this attempt with other parameters: record what it launched.
          const found = await observeInstances(ec2, ws.workspaceId, { ...send, clusterId });
          const live = found.filter((i) => i.state === 'pending' || i.state === 'running');
          await recordNodes(
            resources,
            row,
            live.map((i) => ({
              instanceId: i.instanceId,
              instanceType: i.instanceType,
              ...(i.availabilityZone ? { availabilityZone: i.availabilityZone } : {}),
              ...(i.privateIp ? { privateIp: i.privateIp } : {}),
              ec2State: i.state,
              launchedAt: new Date(i.launchTime || resources.clock.now().getTime()),
            })),
            [...new Set(live.flatMap((i) => i.tags['aws:ec2:fleet-id'] ?? []))],
          );
          attempt++;
          continue;
        }
        if (d.kind === 'throttle') throw err; // retries spent: the job runs again later
        if (d.kind === 'capacity') {
          lastError = { code: d.code, message: d.message };
          for (const o of plan.overrides) {
            exhausted.push({ instanceType: o.InstanceType, availabilityZone: o.AvailabilityZone });
          }
          attempt++;
          continue;
        }
        const error = { code: d.code, message: d.message };
        await failCluster(resources, clusterId, error);
        return outcome('failed', error);
      }

      const now = resources.clock.now();
      const launched: NodeToRecord[] = (result.Instances ?? []).flatMap((group) =>
        (group.InstanceIds ?? []).map((instanceId) => {
          const zone = group.LaunchTemplateAndOverrides?.Overrides?.AvailabilityZone;
          return {
            instanceId,
            instanceType: group.InstanceType ?? plan.instanceType,
            ...(zone ? { availabilityZone: zone } : {}),
            ec2State: 'pending',
            launchedAt: now,
          };
        }),
      );
      if (result.FleetId) fleetIds.push(result.FleetId);
      instanceIds.push(...launched.map((n) => n.instanceId));
      const added = await recordNodes(
        resources,
        row,
        launched,
        result.FleetId ? [result.FleetId] : [],
      );
      if (launched.length > 0) await noteLaunchedType(resources, row, launched[0]?.instanceType);
      const after = await loadCluster(resources, clusterId);
      if (after?.state !== 'Starting') {
        // Stopped while the fleet was in flight: nobody wants these, and the stop job may
        // already have looked.
        await terminateInstances(
          ec2,
          launched.map((n) => n.instanceId),
          send,
        );
        return outcome('skipped');
      }

      let fatal: { code: string; message: string } | undefined;
      for (const e of result.Errors ?? []) {
        const o = e.LaunchTemplateAndOverrides?.Overrides;
        const code = e.ErrorCode ?? 'Unknown';
        const message = e.ErrorMessage ?? code;
        const kind = classifyAwsError({ code });
        if (kind === 'fatal') fatal ??= { code, message };
        else lastError = { code, message };
        if (o?.InstanceType && o.AvailabilityZone) {
          exhausted.push({ instanceType: o.InstanceType, availabilityZone: o.AvailabilityZone });
        }
      }
      if (added === 0 && launched.length === 0 && fatal && lastError === undefined) {
        await failCluster(resources, clusterId, fatal);
        return outcome('failed', fatal);
      }
      if (fatal) lastError ??= fatal;
      attempt++;
    }

    await fillAddresses(resources, ec2, clusterId, send);
    return outcome('launched');
  } finally {
    ec2.destroy();
  }
}

/** A fallback type launched: the cluster shows the type and price it actually runs. */
async function noteLaunchedType(
  resources: Resources,
  row: ClusterRow,
  instanceType: string | undefined,
): Promise<void> {
  if (instanceType === undefined || instanceType === row.instance_type) return;
  const selection = row.selection as unknown as Selection | null;
  const price =
    selection?.fallbacks.find((f) => f.instanceType === instanceType)?.usdPerHour ??
    row.usd_per_hour;
  await touchCluster(resources.db, row.id, resources.clock.now(), {
    instance_type: instanceType,
    usd_per_hour: price,
  });
}

/** Best effort: the nodes' private addresses and states right after launch (the reconciler refreshes them later). */
async function fillAddresses(
  resources: Resources,
  ec2: EC2Client,
  clusterId: string,
  send: SendOptions,
): Promise<void> {
  const db = resources.db;
  const nodes = await db
    .selectFrom('cluster_nodes')
    .select(['instance_id'])
    .where('cluster_id', '=', clusterId)
    .where((eb) => eb.or([eb('private_ip', 'is', null), eb('public_ip', 'is', null)]))
    .where('terminated_at', 'is', null)
    .execute();
  if (nodes.length === 0) return;
  try {
    const seen = await describeInstancesById(
      ec2,
      nodes.map((n) => n.instance_id),
      send,
    );
    for (const i of seen) {
      await db
        .updateTable('cluster_nodes')
        .set({
          ...(i.privateIp ? { private_ip: i.privateIp } : {}),
          ...(i.publicIp ? { public_ip: i.publicIp } : {}),
          ...(i.availabilityZone ? { availability_zone: i.availabilityZone } : {}),
          ec2_state: i.state,
        })
        .where('instance_id', '=', i.instanceId)
        .where('terminated_at', 'is', null)
        .execute();
    }
    await touchCluster(db, clusterId, resources.clock.now());
  } catch (err) {
    resources.log.warn(
      { err, clusterId },
      'reading launched instances failed; the reconciler will',
    );
  }
}
