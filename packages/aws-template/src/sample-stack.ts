/**
 * A dry deployment of the customer template: plausible physical ids for every resource, the
 * template resolved with them, and the registry values of the same stack. Tests and the
 * demo use it to read the policies exactly as IAM would after a real deployment.
 */
import type { ScopeValues } from './scope-value.ts';
import {
  evaluateCondition,
  resolveIntrinsics,
  TemplateResolutionError,
  type JsonValue,
  type StackFacts,
} from './resolve-intrinsics.ts';
import type { CfnTemplate, StackOutput } from './template-builder.ts';

export interface SampleStackInput {
  partition?: string;
  region?: string;
  accountId?: string;
  availabilityZones?: string[];
  /** Parameter values; list parameters (WorkerBuckets, SubnetIds) as arrays. */
  parameters: Record<string, string | string[]>;
}

export interface SampleStack {
  facts: StackFacts;
  /** The template's resources with every intrinsic function resolved. */
  resources: Record<string, { Type: string; Properties: Record<string, JsonValue> }>;
  outputs: Record<StackOutput, string>;
  /** The registry's values for this stack. */
  values: ScopeValues;
}

const ID_PREFIX: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::SubnetRouteTableAssociation': 'rtbassoc',
};

/** A stable 17-hex-digit suffix per logical id, like EC2's ids. */
function hexId(seed: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 17; round++) {
    for (const c of `${seed}#${round}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 17);
}

function text(v: JsonValue, path: string): string {
  if (typeof v !== 'string') throw new TemplateResolutionError(path, 'expected a string');
  return v;
}

/** Deploys the template on paper. Throws TemplateResolutionError if it cannot be resolved. */
export function createSampleStack(template: CfnTemplate, input: SampleStackInput): SampleStack {
  const partition = input.partition ?? 'aws';
  const region = input.region ?? 'us-east-1';
  const accountId = input.accountId ?? '111122223333';
  const parameters: Record<string, string | string[]> = {};
  for (const [name, def] of Object.entries(template.Parameters)) {
    const given = input.parameters[name] ?? (def.Default as string | undefined);
    if (given === undefined) throw new Error(`parameter ${name} needs a value`);
    const type = typeof def.Type === 'string' ? def.Type : '';
    const isList = type.startsWith('List<') || type === 'CommaDelimitedList';
    parameters[name] = isList && typeof given === 'string' ? given.split(',') : given;
  }
  const facts: StackFacts = {
    partition,
    region,
    accountId,
    availabilityZones: input.availabilityZones ?? [`${region}a`, `${region}b`, `${region}c`],
    parameters,
    resources: {},
    conditions: {},
  };
  for (const [name, expr] of Object.entries(template.Conditions)) {
    facts.conditions[name] = evaluateCondition(expr, facts, `Conditions.${name}`);
  }
  const iamArn = (kind: string, name: string) =>
    `arn:${partition}:iam::${accountId}:${kind}/${name}`;
  const nameOf = (id: string, prop: string): string => {
    return text(
      resolveIntrinsics(
        template.Resources[id]!.Properties[prop]!,
        facts,
        `Resources.${id}.${prop}`,
      ),
      `Resources.${id}.${prop}`,
    );
  };
  for (const [id, res] of Object.entries(template.Resources)) {
    const prefix = ID_PREFIX[res.Type];
    if (prefix) {
      const ref = `${prefix}-${hexId(id)}`;
      facts.resources[id] = {
        ref,
        attributes: res.Type.endsWith('SecurityGroup') ? { GroupId: ref } : {},
      };
    } else if (res.Type === 'AWS::IAM::Role') {
      const name = nameOf(id, 'RoleName');
      facts.resources[id] = {
        ref: name,
        attributes: { Arn: iamArn('role', name), RoleId: `AROA${hexId(id).toUpperCase()}` },
      };
    } else if (res.Type === 'AWS::IAM::InstanceProfile') {
      const name = nameOf(id, 'InstanceProfileName');
      facts.resources[id] = { ref: name, attributes: { Arn: iamArn('instance-profile', name) } };
    } else if (res.Type === 'AWS::S3::Bucket') {
      const name = nameOf(id, 'BucketName');
      facts.resources[id] = { ref: name, attributes: { Arn: `arn:${partition}:s3:::${name}` } };
    } else if (res.Type === 'AWS::IAM::ManagedPolicy') {
      const arn = iamArn('policy', nameOf(id, 'ManagedPolicyName'));
      facts.resources[id] = { ref: arn, attributes: { PolicyArn: arn } };
    } else {
      facts.resources[id] = { ref: `${id}-${hexId(id)}`, attributes: {} };
    }
  }

  const resources: SampleStack['resources'] = {};
  for (const [id, res] of Object.entries(template.Resources)) {
    const props = resolveIntrinsics(res.Properties, facts, `Resources.${id}.Properties`);
    resources[id] = { Type: res.Type, Properties: props as Record<string, JsonValue> };
  }
  const outputs = {} as Record<StackOutput, string>;
  for (const [name, out] of Object.entries(template.Outputs)) {
    const at = `Outputs.${name}.Value`;
    outputs[name as StackOutput] = text(resolveIntrinsics(out.Value, facts, at), at);
  }
  const str = (name: string): string => String(parameters[name]);
  const values: ScopeValues = {
    Partition: partition,
    Region: region,
    AccountId: accountId,
    WorkspaceId: str('WorkspaceId'),
    PlatformPrincipalArn: str('PlatformPrincipalArn'),
    ExternalId: str('ExternalId'),
    PhoneHomeTopicArn: str('PhoneHomeTopicArn'),
    VpcId: outputs.VpcId,
    SubnetIds: outputs.SubnetIds.split(','),
    DirectSecurityGroupId: outputs.DirectSecurityGroupId,
    ProxySecurityGroupId: outputs.ProxySecurityGroupId,
    WorkerRoleArn: outputs.WorkerRoleArn,
    WorkerInstanceProfileArn: outputs.WorkerInstanceProfileArn,
    WorkerBuckets: ([] as string[]).concat(parameters.WorkerBuckets ?? []).filter((b) => b !== ''),
  };
  return { facts, resources, outputs, values };
}

/** Parameter values of the demo workspace; also what the tests deploy on paper. */
export const DEMO_PARAMETERS = {
  WorkspaceId: 'ws-demo',
  PlatformPrincipalArn: 'arn:aws:iam::999988887777:role/ferry-platform',
  ExternalId: 'ferry-ext-3f9c2a7d5e8b4c1a9f6d2e7b8a1c4d5e',
  PhoneHomeTopicArn: 'arn:aws:sns:us-east-1:999988887777:ferry-phone-home',
  AllowedClientCidr: '203.0.113.0/24',
} as const;

/** Parameters of an existing network for the demo and tests. */
export const DEMO_EXISTING_NETWORK = {
  VpcId: 'vpc-0a1b2c3d4e5f60718',
  SubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002', 'subnet-0a1b2c3d4e5f60003'],
} as const;
