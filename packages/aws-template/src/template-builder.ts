/**
 * Builds the customer CloudFormation template from the permission registry: the network (new
 * or existing), the two security groups, the three roles with their policies, and the
 * phone-home custom resources that report the stack's progress to the platform.
 */
import {
  ALL_BUCKETS_CONDITION,
  createCfnValueRenderer,
  NEW_SUBNETS,
  PARTITIONS,
  partitionCondition,
  type CfnValue,
  type NetworkVariant,
} from './cfn-value.ts';
import {
  CUSTOMER_ROLES,
  PERMISSIONS,
  TAG_WORKSPACE,
  type CustomerRole,
  type PermissionEntry,
} from './permission-registry.ts';
import { DEFAULT_RESULTS_RETENTION_DAYS, RESULTS_BUCKET_SUFFIX } from './results-bucket.ts';
import { roleStatements, trustStatements } from './role-policy.ts';
import {
  RELEASE_BEFORE_RESULTS_BUCKET,
  TEMPLATE_VERSION,
  templateVersion,
} from './template-version.ts';

/** TCP port the worker listens on in direct mode. */
export const WORKER_PORT = 5051;

/** The CIDR of the VPC the template creates, and of its two subnets. */
export const NEW_VPC_CIDR = '10.80.0.0/16';
const SUBNET_CIDRS = ['10.80.0.0/20', '10.80.16.0/20'] as const;

/** Pattern of an external ID, as STS accepts it. */
export const EXTERNAL_ID_PATTERN = '[\\w+=,.@:/-]{2,1224}';
/** Pattern of a workspace id: it names roles, so it stays short and IAM-safe. */
export const WORKSPACE_ID_PATTERN = '[a-z0-9][a-z0-9_-]{0,35}';

/** Parameters a caller may set a default for. */
export const PARAMETER_NAMES = [
  'WorkspaceId',
  'PlatformPrincipalArn',
  'ExternalId',
  'PhoneHomeTopicArn',
  'AllowedClientCidr',
  'WorkerBuckets',
] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** What each parameter means, for the template, `--help` and the docs. */
export const PARAMETER_DESCRIPTIONS: Record<
  ParameterName | 'VpcId' | 'SubnetIds' | 'ResultsRetentionDays',
  string
> = {
  WorkspaceId: 'The ferry workspace this stack connects; it names the roles.',
  PlatformPrincipalArn:
    'ARN of ferry’s platform principal, the only one that may assume the roles.',
  ExternalId:
    'External ID of the workspace; the platform must present it to assume a role. Not a secret.',
  PhoneHomeTopicArn: 'SNS topic of the platform that receives this stack’s progress.',
  AllowedClientCidr: `CIDR allowed to reach workers directly on TCP ${WORKER_PORT} (direct mode).`,
  WorkerBuckets:
    'Buckets the Worker role may read and write, comma-separated; empty = all buckets.',
  ResultsRetentionDays: `Days query results are kept in the stack’s results bucket before they expire (default ${DEFAULT_RESULTS_RETENTION_DAYS}).`,
  VpcId: 'Existing VPC to run workers in.',
  SubnetIds: 'Existing public subnets of that VPC (at least two AZs recommended).',
};

/** Phone-home stages in the order the stack reports them. */
export const PHONE_HOME_STAGES = [
  'Network',
  'Security',
  'Policies',
  'Deploying',
  'Connected',
] as const;
export type PhoneHomeStage = (typeof PHONE_HOME_STAGES)[number];

/**
 * The ResourceProperties of a phone-home request, as the platform receives them. Every stage
 * carries the common fields; each adds the ids of its stage, and Connected carries every
 * output (SubnetIds as a list).
 */
export interface PhoneHomeProperties {
  ServiceToken: string;
  Stage: PhoneHomeStage;
  WorkspaceId: string;
  ExternalId: string;
  TemplateVersion: string;
  AccountId: string;
  Region: string;
  VpcId?: string;
  SubnetIds?: string[];
  DirectSecurityGroupId?: string;
  ProxySecurityGroupId?: string;
  UserInitiatedRoleArn?: string;
  UnattendedRoleArn?: string;
  WorkerRoleArn?: string;
  WorkerInstanceProfileArn?: string;
  WorkerInstanceProfileName?: string;
}

/** Custom resource type of the phone-home resources. */
export const PHONE_HOME_RESOURCE_TYPE = 'Custom::FerryPhoneHome';

/** Outputs of the stack, and the properties of the Connected phone-home. */
export const STACK_OUTPUTS = [
  'WorkspaceId',
  'TemplateVersion',
  'VpcId',
  'SubnetIds',
  'DirectSecurityGroupId',
  'ProxySecurityGroupId',
  'UserInitiatedRoleArn',
  'UnattendedRoleArn',
  'WorkerRoleArn',
  'WorkerInstanceProfileArn',
  'WorkerInstanceProfileName',
] as const;
export type StackOutput = (typeof STACK_OUTPUTS)[number];

export interface TemplateOptions {
  /** `new` creates a VPC and two public subnets; `existing` takes VpcId and SubnetIds. */
  network: NetworkVariant;
  /** Parameter defaults, e.g. pre-filled by the platform for one workspace. */
  defaults?: Partial<Record<ParameterName, string>>;
  /**
   * The permission registry the roles' policies come from (default: the current one); an
   * older registry builds the template an older release shipped, e.g. to diff against it.
   */
  permissions?: readonly PermissionEntry[];
  /**
   * Whether the stack has the results bucket (default true). `false` builds release 1.0.0's
   * shape, before the bucket, with {@link permissionsBeforeResultsBucket} as `permissions`.
   */
  resultsBucket?: boolean;
}

/** A CloudFormation template as a JSON-compatible object. */
export interface CfnTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Metadata: Record<string, CfnValue>;
  Parameters: Record<string, Record<string, CfnValue>>;
  Conditions: Record<string, CfnValue>;
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Description: string; Value: CfnValue }>;
}

export interface CfnResource {
  Type: string;
  DependsOn?: string[];
  DeletionPolicy?: 'Retain' | 'Delete';
  UpdateReplacePolicy?: 'Retain' | 'Delete';
  Properties: Record<string, CfnValue>;
}

const ROLE_SLUG: Record<CustomerRole, string> = {
  UserInitiated: 'user-initiated',
  Unattended: 'unattended',
  Worker: 'worker',
};

/** The name pattern of a customer role (also of its managed policy); `${WorkspaceId}` is filled by the stack. */
export const roleNamePattern = (role: CustomerRole): string =>
  `ferry-\${WorkspaceId}-${ROLE_SLUG[role]}`;

const ROLE_DESCRIPTION: Record<CustomerRole, string> = {
  UserInitiated: 'ferry: starts and stops compute when a workspace member asks.',
  Unattended: 'ferry: terminates idle and orphaned compute (the reaper).',
  Worker: 'ferry: the role ferry cluster nodes run with (S3 data access).',
};

const sub = (s: string): CfnValue => ({ 'Fn::Sub': s });
const ref = (s: string): CfnValue => ({ Ref: s });
const getAtt = (r: string, a: string): CfnValue => ({ 'Fn::GetAtt': [r, a] });

/** Builds the customer template for one network variant. */
export function buildTemplate(options: TemplateOptions): CfnTemplate {
  const { network } = options;
  const defaults = options.defaults ?? {};
  const permissions = options.permissions ?? PERMISSIONS;
  const withResultsBucket = options.resultsBucket ?? true;
  const version = templateVersion(
    permissions,
    withResultsBucket ? TEMPLATE_VERSION : RELEASE_BEFORE_RESULTS_BUCKET,
  );
  const render = createCfnValueRenderer(network);
  const tags = (name: string): CfnValue => [
    { Key: 'Name', Value: sub(`ferry-\${WorkspaceId}-${name}`) },
    { Key: TAG_WORKSPACE, Value: ref('WorkspaceId') },
  ];
  const vpcId = network === 'new' ? ref('Vpc') : ref('VpcId');
  const subnetIds = render.list('SubnetIds');

  const withDefault = (name: ParameterName, p: Record<string, CfnValue>) => {
    const d = defaults[name];
    return d === undefined ? p : { ...p, Default: d };
  };

  const Parameters: CfnTemplate['Parameters'] = {
    WorkspaceId: withDefault('WorkspaceId', {
      Type: 'String',
      Description: PARAMETER_DESCRIPTIONS.WorkspaceId,
      AllowedPattern: WORKSPACE_ID_PATTERN,
      ConstraintDescription:
        'lower-case letters, digits, _ and -; at most 36 characters (it names the results bucket)',
    }),
    PlatformPrincipalArn: withDefault('PlatformPrincipalArn', {
      Type: 'String',
      Description: PARAMETER_DESCRIPTIONS.PlatformPrincipalArn,
      AllowedPattern: 'arn:aws[a-z-]*:(iam|sts)::\\d{12}:[\\w+=,.@/-]+',
      ConstraintDescription: 'an IAM role or user ARN',
    }),
    ExternalId: withDefault('ExternalId', {
      Type: 'String',
      NoEcho: false,
      Description: PARAMETER_DESCRIPTIONS.ExternalId,
      AllowedPattern: EXTERNAL_ID_PATTERN,
      ConstraintDescription: '2 to 1224 characters of letters, digits and +=,.@:/-_',
    }),
    PhoneHomeTopicArn: withDefault('PhoneHomeTopicArn', {
      Type: 'String',
      Description: PARAMETER_DESCRIPTIONS.PhoneHomeTopicArn,
      AllowedPattern: 'arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:[\\w-]{1,256}',
      ConstraintDescription: 'an SNS topic ARN in this stack’s region',
    }),
    AllowedClientCidr: withDefault('AllowedClientCidr', {
      Type: 'String',
      Description: PARAMETER_DESCRIPTIONS.AllowedClientCidr,
      AllowedPattern:
        '((\\d{1,2}|1\\d\\d|2[0-4]\\d|25[0-5])\\.){3}(\\d{1,2}|1\\d\\d|2[0-4]\\d|25[0-5])/(\\d|[12]\\d|3[0-2])',
      ConstraintDescription: 'an IPv4 CIDR such as 203.0.113.0/24',
    }),
    WorkerBuckets: {
      Type: 'CommaDelimitedList',
      Description: PARAMETER_DESCRIPTIONS.WorkerBuckets,
      Default: defaults.WorkerBuckets ?? '',
    },
  };
  if (withResultsBucket) {
    Parameters.ResultsRetentionDays = {
      Type: 'Number',
      Description: PARAMETER_DESCRIPTIONS.ResultsRetentionDays,
      Default: DEFAULT_RESULTS_RETENTION_DAYS,
      MinValue: 1,
      MaxValue: 3650,
    };
  }
  if (network === 'existing') {
    Parameters.VpcId = { Type: 'AWS::EC2::VPC::Id', Description: PARAMETER_DESCRIPTIONS.VpcId };
    Parameters.SubnetIds = {
      Type: 'List<AWS::EC2::Subnet::Id>',
      Description: PARAMETER_DESCRIPTIONS.SubnetIds,
    };
  }

  const Conditions: CfnTemplate['Conditions'] = {
    [ALL_BUCKETS_CONDITION]: {
      'Fn::Equals': [{ 'Fn::Join': ['', ref('WorkerBuckets')] }, ''],
    },
  };
  for (const p of PARTITIONS.slice(1)) {
    Conditions[partitionCondition(p)] = { 'Fn::Equals': [ref('AWS::Partition'), p] };
  }

  const Resources: CfnTemplate['Resources'] = {};
  const networkResources: string[] = [];
  if (network === 'new') {
    Resources.Vpc = {
      Type: 'AWS::EC2::VPC',
      Properties: {
        CidrBlock: NEW_VPC_CIDR,
        EnableDnsSupport: true,
        EnableDnsHostnames: true,
        Tags: tags('vpc'),
      },
    };
    Resources.InternetGateway = {
      Type: 'AWS::EC2::InternetGateway',
      Properties: { Tags: tags('igw') },
    };
    Resources.VpcGatewayAttachment = {
      Type: 'AWS::EC2::VPCGatewayAttachment',
      Properties: { VpcId: vpcId, InternetGatewayId: ref('InternetGateway') },
    };
    Resources.PublicRouteTable = {
      Type: 'AWS::EC2::RouteTable',
      Properties: { VpcId: vpcId, Tags: tags('public') },
    };
    Resources.PublicDefaultRoute = {
      Type: 'AWS::EC2::Route',
      DependsOn: ['VpcGatewayAttachment'],
      Properties: {
        RouteTableId: ref('PublicRouteTable'),
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: ref('InternetGateway'),
      },
    };
    NEW_SUBNETS.forEach((name, i) => {
      Resources[name] = {
        Type: 'AWS::EC2::Subnet',
        Properties: {
          VpcId: vpcId,
          CidrBlock: SUBNET_CIDRS[i]!,
          AvailabilityZone: { 'Fn::Select': [i, { 'Fn::GetAZs': '' }] },
          MapPublicIpOnLaunch: true,
          Tags: tags(`public-${i + 1}`),
        },
      };
      Resources[`${name}RouteTableAssociation`] = {
        Type: 'AWS::EC2::SubnetRouteTableAssociation',
        Properties: { SubnetId: ref(name), RouteTableId: ref('PublicRouteTable') },
      };
      networkResources.push(`${name}RouteTableAssociation`);
    });
    networkResources.push('PublicDefaultRoute');
  }

  const egressAll: CfnValue = [
    { IpProtocol: '-1', CidrIp: '0.0.0.0/0', Description: 'Workers reach S3 and the platform' },
  ];
  Resources.DirectSecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: `ferry direct mode: clients reach workers on TCP ${WORKER_PORT} only`,
      VpcId: vpcId,
      SecurityGroupIngress: [
        {
          IpProtocol: 'tcp',
          FromPort: WORKER_PORT,
          ToPort: WORKER_PORT,
          CidrIp: ref('AllowedClientCidr'),
          Description: 'ferry clients (direct mode)',
        },
      ],
      SecurityGroupEgress: egressAll,
      Tags: tags('direct'),
    },
  };
  Resources.ProxySecurityGroup = {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: 'ferry proxy mode: no inbound traffic; workers dial out to the platform',
      VpcId: vpcId,
      SecurityGroupEgress: egressAll,
      Tags: tags('proxy'),
    },
  };

  for (const role of CUSTOMER_ROLES) {
    Resources[`${role}Role`] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: sub(roleNamePattern(role)),
        Description: ROLE_DESCRIPTION[role],
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: trustStatements(role).map((t): CfnValue => ({
            Sid: t.sid,
            Effect: 'Allow',
            Principal:
              t.principal === 'ec2'
                ? { Service: 'ec2.amazonaws.com' }
                : { AWS: ref('PlatformPrincipalArn') },
            Action: t.actions.length === 1 ? t.actions[0]! : t.actions,
            ...(t.conditions ? { Condition: render.conditions(t.conditions) } : {}),
          })),
        },
        Tags: [{ Key: TAG_WORKSPACE, Value: ref('WorkspaceId') }],
      },
    };
    Resources[`${role}Policy`] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        ManagedPolicyName: sub(roleNamePattern(role)),
        // Create-only in CloudFormation: a changing description would replace the named policy.
        Description: `ferry ${ROLE_SLUG[role]} permissions, generated from ferry's permission registry.`,
        Roles: [ref(`${role}Role`)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: roleStatements(role, permissions).map((s): CfnValue => ({
            Sid: s.sid,
            Effect: 'Allow',
            Action: s.actions,
            Resource: render.values(s.resources),
            ...(s.conditions ? { Condition: render.conditions(s.conditions) } : {}),
          })),
        },
      },
    };
  }
  if (withResultsBucket) {
    // Named from the account and the workspace (see resultsBucketName), so the control plane
    // knows it without reading the stack. Retained when the stack is deleted: S3 refuses to
    // delete a bucket that still holds results, and its lifecycle rule empties it anyway.
    Resources.ResultsBucket = {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketName: {
          'Fn::Sub': [
            `ferry-\${AWS::AccountId}-\${Workspace}${RESULTS_BUCKET_SUFFIX}`,
            { Workspace: { 'Fn::Join': ['-', { 'Fn::Split': ['_', ref('WorkspaceId')] }] } },
          ],
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            {
              Id: 'ferry-expire-results',
              Status: 'Enabled',
              ExpirationInDays: ref('ResultsRetentionDays'),
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
        Tags: tags('results'),
      },
    };
  }
  Resources.WorkerInstanceProfile = {
    Type: 'AWS::IAM::InstanceProfile',
    Properties: {
      InstanceProfileName: sub(roleNamePattern('Worker')),
      Roles: [ref('WorkerRole')],
    },
  };

  const outputs: Record<StackOutput, { Description: string; Value: CfnValue }> = {
    WorkspaceId: { Description: 'The workspace this stack connects', Value: ref('WorkspaceId') },
    TemplateVersion: { Description: 'Version of the ferry template', Value: version },
    VpcId: { Description: 'VPC the workers run in', Value: vpcId },
    SubnetIds: {
      Description: 'Subnets the workers run in, comma-separated',
      Value: { 'Fn::Join': [',', subnetIds] },
    },
    DirectSecurityGroupId: {
      Description: 'Security group of direct mode',
      Value: getAtt('DirectSecurityGroup', 'GroupId'),
    },
    ProxySecurityGroupId: {
      Description: 'Security group of proxy mode',
      Value: getAtt('ProxySecurityGroup', 'GroupId'),
    },
    UserInitiatedRoleArn: {
      Description: 'Role ferry assumes to start and stop compute',
      Value: getAtt('UserInitiatedRole', 'Arn'),
    },
    UnattendedRoleArn: {
      Description: 'Role ferry assumes to reap idle compute',
      Value: getAtt('UnattendedRole', 'Arn'),
    },
    WorkerRoleArn: { Description: 'Role of the worker nodes', Value: getAtt('WorkerRole', 'Arn') },
    WorkerInstanceProfileArn: {
      Description: 'Instance profile of the worker nodes',
      Value: getAtt('WorkerInstanceProfile', 'Arn'),
    },
    WorkerInstanceProfileName: {
      Description: 'Name of the worker nodes’ instance profile',
      Value: ref('WorkerInstanceProfile'),
    },
  };

  const common: Record<string, CfnValue> = {
    ServiceToken: ref('PhoneHomeTopicArn'),
    WorkspaceId: ref('WorkspaceId'),
    ExternalId: ref('ExternalId'),
    TemplateVersion: version,
    AccountId: ref('AWS::AccountId'),
    Region: ref('AWS::Region'),
  };
  const stageProperties: Record<PhoneHomeStage, Record<string, CfnValue>> = {
    Network: { VpcId: vpcId, SubnetIds: subnetIds },
    Security: {
      DirectSecurityGroupId: outputs.DirectSecurityGroupId.Value,
      ProxySecurityGroupId: outputs.ProxySecurityGroupId.Value,
    },
    Policies: {
      UserInitiatedRoleArn: outputs.UserInitiatedRoleArn.Value,
      UnattendedRoleArn: outputs.UnattendedRoleArn.Value,
      WorkerRoleArn: outputs.WorkerRoleArn.Value,
    },
    Deploying: { WorkerInstanceProfileArn: outputs.WorkerInstanceProfileArn.Value },
    Connected: Object.fromEntries(
      STACK_OUTPUTS.filter((o) => o !== 'SubnetIds').map((o) => [o, outputs[o].Value]),
    ),
  };
  // Each stage waits for the resources of its stage (its properties reference them, DependsOn
  // names the rest) and for the previous stage, so the platform sees them in order.
  const stageDependsOn: Record<PhoneHomeStage, string[]> = {
    Network: networkResources,
    Security: ['PhoneHomeNetwork'],
    Policies: [...CUSTOMER_ROLES.map((r) => `${r}Policy`), 'PhoneHomeSecurity'],
    Deploying: ['PhoneHomePolicies'],
    Connected: ['PhoneHomeDeploying'],
  };
  for (const stage of PHONE_HOME_STAGES) {
    const dependsOn = stageDependsOn[stage];
    Resources[`PhoneHome${stage}`] = {
      Type: PHONE_HOME_RESOURCE_TYPE,
      ...(dependsOn.length > 0 ? { DependsOn: dependsOn } : {}),
      Properties: {
        ...common,
        Stage: stage,
        ...stageProperties[stage],
        ...(stage === 'Connected' ? { SubnetIds: subnetIds } : {}),
      },
    };
  }

  if (!withResultsBucket && JSON.stringify(Resources).includes('ResultsBucket')) {
    throw new Error('without the results bucket, build with permissionsBeforeResultsBucket()');
  }
  const networkParams = network === 'existing' ? ['VpcId', 'SubnetIds'] : [];
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `ferry workspace connection, template ${version} (${network === 'new' ? 'new VPC' : 'existing VPC'}): security groups, three least-privilege roles,${withResultsBucket ? ' a results bucket,' : ''} progress reports to the platform.`,
    Metadata: {
      FerryTemplateVersion: version,
      FerryNetwork: network,
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          {
            Label: { default: 'ferry platform (pre-filled by ferry)' },
            Parameters: ['WorkspaceId', 'PlatformPrincipalArn', 'ExternalId', 'PhoneHomeTopicArn'],
          },
          {
            Label: { default: 'Network and data access' },
            Parameters: [
              ...networkParams,
              'AllowedClientCidr',
              'WorkerBuckets',
              ...(withResultsBucket ? ['ResultsRetentionDays'] : []),
            ],
          },
        ],
      },
    },
    Parameters,
    Conditions,
    Resources,
    Outputs: outputs,
  };
}
