/**
 * Cheap probes of what a customer role may do: EC2 calls with DryRun (DryRunOperation means
 * allowed, UnauthorizedOperation denied) and S3 calls on a marker object under ferry's
 * prefix. Each probe names the registry action it checks.
 */
import type {
  CreateFleetCommand,
  EC2Client,
  RunInstancesCommand,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import { TAG_MANAGED, TAG_WORKSPACE } from '@ferry/aws-template';
import { awsErrorCode } from './aws-clients.ts';
import { loadEc2Sdk, type Ec2Sdk } from './ec2-sdk.ts';

/** The stack values probes need. */
export interface ProbeTarget {
  workspaceId: string;
  subnetIds: string[];
  directSecurityGroupId: string;
  workerInstanceProfileArn: string;
  /** A ferry-tagged launch template the verifier created for the probes that need one. */
  launchTemplateId?: string;
}

/** Result of one probe: allowed, denied, or inconclusive (any other error). */
export interface ProbeResult {
  verdict: 'allowed' | 'denied' | 'inconclusive';
  awsErrorCode: string | null;
}

/** One EC2 call, sent with DryRun. */
export type Ec2Probe = (ec2: EC2Client) => Promise<unknown>;

/** An AMI id of the right shape; dry runs never launch it. */
const PROBE_IMAGE = 'ami-0123456789abcdef0';
/** An instance that is not ferry's (the must-deny samples use it). */
export const FOREIGN_INSTANCE = 'i-0123456789abcdef0';

const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/** Runs an EC2 call with DryRun and classifies the answer. */
export async function dryRun(ec2: EC2Client, probe: Ec2Probe): Promise<ProbeResult> {
  try {
    await probe(ec2);
    // A dry run never succeeds; an answer without error means DryRun was ignored.
    return { verdict: 'inconclusive', awsErrorCode: null };
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'DryRunOperation') return { verdict: 'allowed', awsErrorCode: code };
    if (DENIED.has(code)) return { verdict: 'denied', awsErrorCode: code };
    return { verdict: 'inconclusive', awsErrorCode: code };
  }
}

function ferryTags(
  workspaceId: string,
  types: TagSpecification['ResourceType'][],
): TagSpecification[] {
  return types.map((ResourceType) => ({
    ResourceType,
    Tags: [
      { Key: TAG_MANAGED, Value: 'true' },
      { Key: TAG_WORKSPACE, Value: workspaceId },
    ],
  }));
}

/** A ferry-shaped launch (the stack's subnet, security group and Worker profile, tagged). */
function launchProbe(sdk: typeof Ec2Sdk, target: ProbeTarget): RunInstancesCommand {
  return new sdk.RunInstancesCommand({
    DryRun: true,
    ImageId: PROBE_IMAGE,
    InstanceType: 't3.micro',
    MinCount: 1,
    MaxCount: 1,
    ...(target.subnetIds[0] !== undefined ? { SubnetId: target.subnetIds[0] } : {}),
    SecurityGroupIds: [target.directSecurityGroupId],
    IamInstanceProfile: { Arn: target.workerInstanceProfileArn },
    TagSpecifications: ferryTags(target.workspaceId, ['instance', 'volume']),
  });
}

/**
 * Creates a real, ferry-tagged launch template shaped like the launcher's (image, Worker
 * profile, security group, IMDSv2, tags for what it launches): CreateFleet, and writes on a
 * launch template, can only be dry-run against one. Returns its id, or AWS's error code.
 */
export async function createProbeTemplate(
  ec2: EC2Client,
  target: ProbeTarget,
): Promise<{ id: string } | { error: string }> {
  try {
    const { CreateLaunchTemplateCommand } = await loadEc2Sdk();
    const out = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `ferry-verify-${target.workspaceId.replace(/_/g, '-')}-${Date.now().toString(36)}`,
        LaunchTemplateData: {
          ImageId: PROBE_IMAGE,
          InstanceType: 't3.micro',
          IamInstanceProfile: { Arn: target.workerInstanceProfileArn },
          SecurityGroupIds: [target.directSecurityGroupId],
          MetadataOptions: { HttpTokens: 'required' },
          InstanceInitiatedShutdownBehavior: 'terminate',
          TagSpecifications: ferryTags(target.workspaceId, ['instance', 'volume']).map((t) => ({
            ResourceType: t.ResourceType as 'instance' | 'volume',
            Tags: t.Tags,
          })),
        },
        TagSpecifications: ferryTags(target.workspaceId, ['launch-template']),
      }),
    );
    const id = out.LaunchTemplate?.LaunchTemplateId;
    return id ? { id } : { error: 'NoLaunchTemplateId' };
  } catch (err) {
    return { error: awsErrorCode(err) };
  }
}

/** Deletes the probe template; returns AWS's error code when that fails. */
export async function deleteProbeTemplate(ec2: EC2Client, id: string): Promise<string | null> {
  try {
    const { DeleteLaunchTemplateCommand } = await loadEc2Sdk();
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id }));
    return null;
  } catch (err) {
    return awsErrorCode(err);
  }
}

/** An instant fleet of one node from the probe template in the stack's first subnet. */
function fleetProbe(
  sdk: typeof Ec2Sdk,
  target: ProbeTarget,
  launchTemplateId: string,
): CreateFleetCommand {
  return new sdk.CreateFleetCommand({
    DryRun: true,
    Type: 'instant',
    LaunchTemplateConfigs: [
      {
        LaunchTemplateSpecification: { LaunchTemplateId: launchTemplateId, Version: '$Latest' },
        Overrides: [
          {
            InstanceType: 't3.micro',
            ...(target.subnetIds[0] !== undefined ? { SubnetId: target.subnetIds[0] } : {}),
          },
        ],
      },
    ],
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' },
    TagSpecifications: ferryTags(target.workspaceId, ['fleet']),
  });
}

/** Wraps one command, built when the probe runs (the EC2 SDK loads lazily), as a probe. */
const send =
  (command: (sdk: typeof Ec2Sdk) => object): Ec2Probe =>
  async (ec2) =>
    // Every probe is an EC2 command; send() is overloaded per command type.
    ec2.send(command(await loadEc2Sdk()) as Parameters<EC2Client['send']>[0]);

/** The dry-run probe of a registry action, or undefined when it has none. */
export function ec2ProbeFor(action: string, target: ProbeTarget): Ec2Probe | undefined {
  switch (action) {
    case 'ec2:DescribeInstances':
      return send((e) => new e.DescribeInstancesCommand({ DryRun: true }));
    case 'ec2:DescribeInstanceTypes':
      return send((e) => new e.DescribeInstanceTypesCommand({ DryRun: true, MaxResults: 5 }));
    case 'ec2:DescribeInstanceTypeOfferings':
      return send(
        (e) => new e.DescribeInstanceTypeOfferingsCommand({ DryRun: true, MaxResults: 5 }),
      );
    case 'ec2:DescribeSubnets':
      return send((e) => new e.DescribeSubnetsCommand({ DryRun: true }));
    case 'ec2:DescribeFleets':
      return send((e) => new e.DescribeFleetsCommand({ DryRun: true }));
    case 'ec2:DescribeLaunchTemplates':
      return send((e) => new e.DescribeLaunchTemplatesCommand({ DryRun: true }));
    case 'ec2:DescribeImages':
      return send((e) => new e.DescribeImagesCommand({ DryRun: true, Owners: ['amazon'] }));
    case 'ec2:CreateLaunchTemplate':
      return send(
        (e) =>
          new e.CreateLaunchTemplateCommand({
            DryRun: true,
            LaunchTemplateName: `ferry-verify-${target.workspaceId.replace(/_/g, '-')}`,
            LaunchTemplateData: { InstanceType: 't3.micro' },
            TagSpecifications: ferryTags(target.workspaceId, ['launch-template']),
          }),
      );
    case 'ec2:RunInstances':
      return send((e) => launchProbe(e, target));
    // These need an existing ferry launch template (the verifier's probe template).
    case 'ec2:CreateFleet': {
      const templateId = target.launchTemplateId;
      return templateId === undefined ? undefined : send((e) => fleetProbe(e, target, templateId));
    }
    case 'ec2:DeleteLaunchTemplate':
      return target.launchTemplateId === undefined
        ? undefined
        : send(
            (e) =>
              new e.DeleteLaunchTemplateCommand({
                DryRun: true,
                LaunchTemplateId: target.launchTemplateId,
              }),
          );
    default:
      return undefined;
  }
}

/** Probes of the must-deny samples that EC2 can answer with a dry run. */
export function deniedProbeFor(
  action: string,
  context: Record<string, unknown>,
  target: ProbeTarget,
): Ec2Probe | undefined {
  switch (action) {
    case 'ec2:RunInstances':
      if ('ec2:SubnetID' in context) {
        return send(
          (e) =>
            new e.RunInstancesCommand({
              DryRun: true,
              ImageId: PROBE_IMAGE,
              InstanceType: 't3.micro',
              MinCount: 1,
              MaxCount: 1,
              SubnetId: String(context['ec2:SubnetID']),
              TagSpecifications: ferryTags(target.workspaceId, ['instance', 'volume']),
            }),
        );
      }
      return send((e) => launchProbe(e, target));
    case 'ec2:TerminateInstances':
      return send(
        (e) => new e.TerminateInstancesCommand({ DryRun: true, InstanceIds: [FOREIGN_INSTANCE] }),
      );
    case 'ec2:CreateTags':
      return send(
        (e) =>
          new e.CreateTagsCommand({
            DryRun: true,
            Resources: [FOREIGN_INSTANCE],
            Tags: [{ Key: TAG_MANAGED, Value: 'true' }],
          }),
      );
    default:
      return undefined;
  }
}
