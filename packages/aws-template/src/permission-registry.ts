/**
 * The permission registry: every AWS action ferry calls, per role, with its resource scope,
 * its conditions, why ferry needs it and how the verifier can probe it cheaply. The customer
 * template's policies are generated from this file and a test proves they allow exactly
 * these entries, so code that calls AWS declares its action here first.
 */
import type { Pattern, ScopeValue } from './scope-value.ts';

/** The roles the customer's stack creates. */
export const CUSTOMER_ROLES = ['UserInitiated', 'Unattended', 'Worker'] as const;
export type CustomerRole = (typeof CUSTOMER_ROLES)[number];

/** Customer roles plus ferry's own principal in the platform's account. */
export const ROLES = [...CUSTOMER_ROLES, 'Platform'] as const;
export type RoleName = (typeof ROLES)[number];

/** Tag every resource ferry creates carries, with the value `true`. */
export const TAG_MANAGED = 'ferry:managed';
/** Tag naming the workspace that owns a resource; also the broker's session tag. */
export const TAG_WORKSPACE = 'ferry:workspace';
/** Tag naming the cluster a resource belongs to. */
export const TAG_CLUSTER = 'ferry:cluster';

/** Condition block: operator → key → value(s). Keys are literal; values may use refs. */
export type ConditionSpec = Record<string, Record<string, ScopeValue | ScopeValue[]>>;

/** One resource type an action touches, with the ARNs and conditions allowed for it. */
export interface ResourceScope {
  /** The resource type as the service authorization reference names it, or `*`. */
  resourceType: string;
  resources: ScopeValue[];
  conditions?: ConditionSpec;
}

/** How the verifier can check an entry without side effects. */
export type Probe =
  /** EC2 call with `DryRun`: DryRunOperation means allowed, UnauthorizedOperation denied. */
  | { kind: 'dry-run'; note?: string }
  /** A read-only call that is harmless to make for real. */
  | { kind: 'call' }
  /** S3 call on a small marker object under ferry's prefix in an allowed bucket. */
  | { kind: 's3-marker' }
  /** No cheap probe; `reason` says why or which probe covers it. */
  | { kind: 'none'; reason: string };

export interface PermissionEntry {
  role: RoleName;
  /** `service:Action`, exactly as IAM spells it. */
  action: string;
  scopes: ResourceScope[];
  why: string;
  probe: Probe;
}

/** Who a trust statement lets assume a customer role. */
export type TrustPrincipal = 'platform' | 'ec2';

export interface TrustEntry {
  role: CustomerRole;
  principal: TrustPrincipal;
  actions: string[];
  conditions?: ConditionSpec;
  why: string;
}

/** A request a role must NOT be allowed to make (verifier and tests). */
export interface DeniedSample {
  role: CustomerRole;
  action: string;
  resource: Pattern;
  /** Condition context of the request; values may use refs. */
  context: Record<string, Pattern | Pattern[]>;
  why: string;
}

/** A call ferry makes that IAM never checks, listed so nobody adds a policy for it. */
export interface PermissionFreeCall {
  action: string;
  why: string;
}

const EC2 = 'arn:${Partition}:ec2:${Region}:${AccountId}';
const ec2Any = (type: string): Pattern => `${EC2}:${type}/*`;

const requestTagged: ConditionSpec = {
  StringEquals: {
    [`aws:RequestTag/${TAG_MANAGED}`]: 'true',
    [`aws:RequestTag/${TAG_WORKSPACE}`]: '${WorkspaceId}',
  },
};
const resourceTagged: ConditionSpec = {
  StringEquals: {
    [`aws:ResourceTag/${TAG_MANAGED}`]: 'true',
    [`aws:ResourceTag/${TAG_WORKSPACE}`]: '${WorkspaceId}',
  },
};
const inStackRegion: ConditionSpec = { StringEquals: { 'aws:RequestedRegion': '${Region}' } };

const anyInRegion: ResourceScope[] = [
  { resourceType: '*', resources: ['*'], conditions: inStackRegion },
];

/** The instance scope shared by RunInstances and CreateFleet: tagged, with the Worker profile. */
const launchedInstance: ResourceScope = {
  resourceType: 'instance',
  resources: [ec2Any('instance')],
  conditions: {
    ...requestTagged,
    ArnEquals: { 'ec2:InstanceProfile': '${WorkerInstanceProfileArn}' },
  },
};
const stackSubnets: ResourceScope = {
  resourceType: 'subnet',
  resources: [ec2Any('subnet')],
  conditions: { StringEquals: { 'ec2:SubnetID': { list: 'SubnetIds' } } },
};
const anyImage: ResourceScope = {
  resourceType: 'image',
  resources: ['arn:${Partition}:ec2:${Region}::image/*'],
};
const rootVolume: ResourceScope = { resourceType: 'volume', resources: [ec2Any('volume')] };
const taggedLaunchTemplate: ResourceScope = {
  resourceType: 'launch-template',
  resources: [ec2Any('launch-template')],
  conditions: resourceTagged,
};

const dryRun: Probe = { kind: 'dry-run' };

/** The stack's results bucket, and its objects: the Worker role's alone. */
const RESULTS_BUCKET_SCOPE: ResourceScope = {
  resourceType: 'bucket',
  resources: ['arn:${Partition}:s3:::${ResultsBucket}'],
};
const RESULTS_OBJECTS_SCOPE: ResourceScope = {
  resourceType: 'object',
  resources: ['arn:${Partition}:s3:::${ResultsBucket}/*'],
};

/**
 * The registry as release 1.0.0 of the template had it, before the results bucket: what a
 * stack made then grants (tests deploy it to exercise the update that adds the bucket).
 */
export function permissionsBeforeResultsBucket(
  permissions: readonly PermissionEntry[] = PERMISSIONS,
): PermissionEntry[] {
  return permissions.map((e) => ({
    ...e,
    scopes: e.scopes.filter((s) => s !== RESULTS_BUCKET_SCOPE && s !== RESULTS_OBJECTS_SCOPE),
  }));
}

/** Every AWS action ferry calls. Order is the order of the generated docs. */
export const PERMISSIONS: readonly PermissionEntry[] = [
  // UserInitiated: starting and stopping compute on a user's request.
  {
    role: 'UserInitiated',
    action: 'ec2:RunInstances',
    why: 'Launch cluster nodes (EC2 Fleet launches through RunInstances): only into the stack’s subnets and security groups, only with the Worker instance profile, only tagged as ferry’s.',
    scopes: [
      launchedInstance,
      stackSubnets,
      {
        resourceType: 'security-group',
        resources: [
          `${EC2}:security-group/\${DirectSecurityGroupId}`,
          `${EC2}:security-group/\${ProxySecurityGroupId}`,
        ],
      },
      {
        resourceType: 'network-interface',
        resources: [ec2Any('network-interface')],
        conditions: { ArnEquals: { 'ec2:Vpc': `${EC2}:vpc/\${VpcId}` } },
      },
      anyImage,
      rootVolume,
      taggedLaunchTemplate,
    ],
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:CreateFleet',
    why: 'Launch a cluster as one instant fleet with overrides across every eligible subnet and instance type, so a capacity error in one AZ does not end the launch.',
    scopes: [
      {
        resourceType: 'fleet',
        resources: [ec2Any('fleet')],
        conditions: requestTagged,
      },
      launchedInstance,
      stackSubnets,
      anyImage,
      rootVolume,
      taggedLaunchTemplate,
    ],
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:CreateLaunchTemplate',
    why: 'Create one launch template per cluster (AMI, Worker instance profile, security group, root volume, IMDSv2, bootstrap user data), tagged as ferry’s.',
    scopes: [
      {
        resourceType: 'launch-template',
        resources: [ec2Any('launch-template')],
        conditions: requestTagged,
      },
    ],
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeLaunchTemplates',
    why: 'Find a cluster’s launch template after a restart instead of creating a second one.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DeleteLaunchTemplate',
    why: 'Remove a stopped cluster’s launch template, only templates tagged as ferry’s.',
    scopes: [taggedLaunchTemplate],
    probe: { kind: 'dry-run', note: 'needs a launch template tagged as ferry’s' },
  },
  {
    role: 'UserInitiated',
    action: 'ec2:CreateTags',
    why: 'Tag instances, volumes, network interfaces, fleets and launch templates as they are created; never to retag an existing resource (ec2:CreateAction).',
    scopes: [
      {
        resourceType: 'instance,volume,network-interface,fleet,launch-template',
        resources: [
          ec2Any('instance'),
          ec2Any('volume'),
          ec2Any('network-interface'),
          ec2Any('fleet'),
          ec2Any('launch-template'),
        ],
        conditions: {
          StringEquals: {
            'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
          },
        },
      },
    ],
    probe: {
      kind: 'none',
      reason: 'only authorized inside a create call; covered by the ec2:RunInstances dry run',
    },
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeInstances',
    why: 'See the state of the nodes a user starts or stops (one tag-filtered, paged call per workspace and reconcile cycle).',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeInstanceTypes',
    why: 'Build the region’s instance catalog (vCPUs, memory, architecture) to pick the cheapest type that fits.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeInstanceTypeOfferings',
    why: 'Learn which instance types are offered in the AZs of the stack’s subnets.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeImages',
    why: 'Find the current worker image (AMI) of the region when the operator has not pinned one.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeSubnets',
    why: 'Map the stack’s subnets to their AZs to spread launches across them.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'UserInitiated',
    action: 'ec2:TerminateInstances',
    why: 'Stop a cluster when its user asks, only instances tagged as this workspace’s ferry instances.',
    scopes: [
      { resourceType: 'instance', resources: [ec2Any('instance')], conditions: resourceTagged },
    ],
    probe: { kind: 'dry-run', note: 'needs an instance tagged as ferry’s' },
  },
  {
    role: 'UserInitiated',
    action: 'iam:PassRole',
    why: 'Launch nodes with the Worker instance profile; only the Worker role, only to EC2.',
    scopes: [
      {
        resourceType: 'role',
        resources: ['${WorkerRoleArn}'],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ],
    probe: { kind: 'none', reason: 'checked by the ec2:RunInstances dry run with the profile' },
  },

  // Unattended: the reaper, the backstop for forgotten compute.
  {
    role: 'Unattended',
    action: 'ec2:DescribeInstances',
    why: 'Find ferry-tagged instances whose cluster is idle past its timeout, unknown or stopped.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'Unattended',
    action: 'ec2:TerminateInstances',
    why: 'Terminate idle and orphaned nodes, only instances tagged as this workspace’s ferry instances.',
    scopes: [
      { resourceType: 'instance', resources: [ec2Any('instance')], conditions: resourceTagged },
    ],
    probe: { kind: 'dry-run', note: 'needs an instance tagged as ferry’s' },
  },
  {
    role: 'Unattended',
    action: 'ec2:GetConsoleOutput',
    why: 'Keep the console output of a node that never registered with the control plane, so the cluster’s events say why it failed; only instances tagged as this workspace’s ferry instances.',
    scopes: [
      { resourceType: 'instance', resources: [ec2Any('instance')], conditions: resourceTagged },
    ],
    probe: { kind: 'dry-run', note: 'needs an instance tagged as ferry’s' },
  },
  {
    role: 'Unattended',
    action: 'ec2:DescribeFleets',
    why: 'Find the fleets of clusters being reaped.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'Unattended',
    action: 'ec2:DeleteFleets',
    why: 'Delete the fleets of reaped clusters, only fleets tagged as ferry’s.',
    scopes: [{ resourceType: 'fleet', resources: [ec2Any('fleet')], conditions: resourceTagged }],
    probe: { kind: 'dry-run', note: 'needs a fleet tagged as ferry’s' },
  },
  {
    role: 'Unattended',
    action: 'ec2:DescribeLaunchTemplates',
    why: 'Find the ferry-tagged launch templates of reaped clusters.',
    scopes: anyInRegion,
    probe: dryRun,
  },
  {
    role: 'Unattended',
    action: 'ec2:DeleteLaunchTemplate',
    why: 'Delete the launch templates of reaped clusters, only templates tagged as ferry’s.',
    scopes: [taggedLaunchTemplate],
    probe: { kind: 'dry-run', note: 'needs a launch template tagged as ferry’s' },
  },

  // Worker: the nodes themselves, reading and writing the customer's data and the stack's
  // results bucket (which no other role may touch).
  {
    role: 'Worker',
    action: 's3:ListBucket',
    why: 'List the objects a query scans (globs, partitioned datasets) and the results it wrote.',
    scopes: [
      {
        resourceType: 'bucket',
        resources: [
          {
            each: 'WorkerBuckets',
            pattern: 'arn:${Partition}:s3:::${item}',
            whenEmpty: 'arn:${Partition}:s3:::*',
          },
        ],
      },
      RESULTS_BUCKET_SCOPE,
    ],
    probe: { kind: 's3-marker' },
  },
  ...(
    [
      [
        's3:GetObject',
        'Read the data a query scans, and results (presigned URLs the worker signs for clients).',
      ],
      ['s3:PutObject', 'Write query results and sinks (also covers multipart uploads).'],
      ['s3:DeleteObject', 'Remove temporary results and the verifier’s marker object.'],
    ] as const
  ).map(([action, why]): PermissionEntry => ({
    role: 'Worker',
    action,
    why,
    scopes: [
      {
        resourceType: 'object',
        resources: [
          {
            each: 'WorkerBuckets',
            pattern: 'arn:${Partition}:s3:::${item}/*',
            whenEmpty: 'arn:${Partition}:s3:::*/*',
          },
        ],
      },
      RESULTS_OBJECTS_SCOPE,
    ],
    probe: { kind: 's3-marker' },
  })),

  // Platform: ferry's own principal, in the platform's account.
  ...(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] as const).map(
    (action): PermissionEntry => ({
      role: 'Platform',
      action,
      why:
        action === 'sts:AssumeRole'
          ? 'The credential broker assumes a workspace’s roles, always with its external ID.'
          : action === 'sts:TagSession'
            ? 'Tag each session with the workspace id, so the customer’s CloudTrail shows it.'
            : 'Name the acting user or service (e.g. ferry-reaper) as the session’s source identity.',
      scopes: [{ resourceType: 'role', resources: ['arn:${Partition}:iam::*:role/ferry-*'] }],
      probe: { kind: 'call' },
    }),
  ),
  ...(
    [
      ['sns:CreateTopic', 'Create the phone-home topic (`ferry platform init`, idempotent).'],
      ['sns:SetTopicAttributes', 'Set the topic policy that lets stacks publish to it.'],
      ['sns:Subscribe', 'Subscribe the phone-home queue to the topic.'],
    ] as const
  ).map(([action, why]): PermissionEntry => ({
    role: 'Platform',
    action,
    why,
    scopes: [{ resourceType: 'topic', resources: ['${PhoneHomeTopicArn}'] }],
    probe: { kind: 'call' },
  })),
  ...(
    [
      ['sqs:CreateQueue', 'Create the phone-home queue (`ferry platform init`, idempotent).'],
      ['sqs:GetQueueAttributes', 'Read the queue’s ARN and policy.'],
      ['sqs:SetQueueAttributes', 'Let the phone-home topic deliver to the queue.'],
      ['sqs:ReceiveMessage', 'Receive stack progress (phone-home stages).'],
      ['sqs:DeleteMessage', 'Acknowledge a phone-home message once handled.'],
    ] as const
  ).map(([action, why]): PermissionEntry => ({
    role: 'Platform',
    action,
    why,
    scopes: [{ resourceType: 'queue', resources: ['${PhoneHomeQueueArn}'] }],
    probe: { kind: 'call' },
  })),
  ...(
    [
      [
        's3:CreateBucket',
        'bucket',
        'Create the template bucket (`ferry platform init`, idempotent).',
      ],
      ['s3:PutObject', 'object', 'Upload the customer template the quick-create link points at.'],
      ['s3:GetObject', 'object', 'Sign the presigned template URL the console fetches.'],
    ] as const
  ).map(([action, resourceType, why]): PermissionEntry => ({
    role: 'Platform',
    action,
    why,
    scopes: [
      {
        resourceType,
        resources: [
          resourceType === 'bucket'
            ? 'arn:${Partition}:s3:::ferry-templates-*'
            : 'arn:${Partition}:s3:::ferry-templates-*/*',
        ],
      },
    ],
    probe: { kind: 'call' },
  })),
];

const platformCondition: ConditionSpec = {
  StringEquals: { 'sts:ExternalId': '${ExternalId}' },
};
const sessionTagCondition: ConditionSpec = {
  StringEquals: { [`aws:RequestTag/${TAG_WORKSPACE}`]: '${WorkspaceId}' },
};

/** The trust policies of the customer roles. */
export const TRUST: readonly TrustEntry[] = [
  ...CUSTOMER_ROLES.flatMap((role): TrustEntry[] => [
    {
      role,
      principal: 'platform',
      actions: ['sts:AssumeRole'],
      conditions: platformCondition,
      why: 'Only ferry’s platform principal, and only with this workspace’s external ID (no confused deputy).',
    },
    {
      role,
      principal: 'platform',
      actions: ['sts:TagSession'],
      conditions: sessionTagCondition,
      why: 'The broker tags each session with this workspace’s id, and no other.',
    },
    {
      role,
      principal: 'platform',
      actions: ['sts:SetSourceIdentity'],
      why: 'The broker names the acting user or service as the session’s source identity.',
    },
  ]),
  {
    role: 'Worker',
    principal: 'ec2',
    actions: ['sts:AssumeRole'],
    why: 'Cluster nodes run with this role through its instance profile.',
  },
];

/** Calls ferry makes that need no permission. */
export const PERMISSION_FREE: readonly PermissionFreeCall[] = [
  {
    action: 'sts:GetCallerIdentity',
    why: 'Confirms which account a role belongs to; AWS requires no permission for it and an explicit deny cannot block it.',
  },
];

const otherInstance = `${EC2}:instance/i-0123456789abcdef0`;
const RESULTS_OBJECT = 'arn:${Partition}:s3:::${ResultsBucket}/results/must-deny-probe.parquet';
const untagged = {};
const taggedForThisWorkspace = {
  [`aws:ResourceTag/${TAG_MANAGED}`]: 'true',
  [`aws:ResourceTag/${TAG_WORKSPACE}`]: '${WorkspaceId}',
};

/** Requests each role must be denied; the verifier probes them and the tests evaluate them. */
export const DENIED_SAMPLES: readonly DeniedSample[] = [
  {
    role: 'Worker',
    action: 'ec2:TerminateInstances',
    resource: otherInstance,
    context: taggedForThisWorkspace,
    why: 'nodes never manage compute',
  },
  {
    role: 'Worker',
    action: 'ec2:RunInstances',
    resource: ec2Any('instance'),
    context: {},
    why: 'nodes never launch compute',
  },
  {
    role: 'Worker',
    action: 'iam:PassRole',
    resource: '${WorkerRoleArn}',
    context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    why: 'nodes never pass roles',
  },
  {
    role: 'Unattended',
    action: 'ec2:RunInstances',
    resource: ec2Any('instance'),
    context: {
      [`aws:RequestTag/${TAG_MANAGED}`]: 'true',
      [`aws:RequestTag/${TAG_WORKSPACE}`]: '${WorkspaceId}',
    },
    why: 'the reaper only removes compute',
  },
  {
    role: 'Unattended',
    action: 'ec2:TerminateInstances',
    resource: otherInstance,
    context: untagged,
    why: 'instances without ferry’s tag are not ferry’s',
  },
  {
    role: 'Unattended',
    action: 'iam:PassRole',
    resource: '${WorkerRoleArn}',
    context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    why: 'the reaper never launches',
  },
  {
    role: 'UserInitiated',
    action: 'iam:PassRole',
    resource: 'arn:${Partition}:iam::${AccountId}:role/Admin',
    context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    why: 'only the Worker role may be passed',
  },
  {
    role: 'UserInitiated',
    action: 'iam:PassRole',
    resource: '${WorkerRoleArn}',
    context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    why: 'the Worker role goes to EC2 only',
  },
  {
    role: 'UserInitiated',
    action: 'ec2:TerminateInstances',
    resource: otherInstance,
    context: untagged,
    why: 'instances without ferry’s tag are not ferry’s',
  },
  {
    role: 'UserInitiated',
    action: 'ec2:TerminateInstances',
    resource: otherInstance,
    context: {
      [`aws:ResourceTag/${TAG_MANAGED}`]: 'true',
      [`aws:ResourceTag/${TAG_WORKSPACE}`]: 'another-workspace',
    },
    why: 'another workspace’s instances are not this workspace’s',
  },
  {
    role: 'UserInitiated',
    action: 'ec2:CreateTags',
    resource: otherInstance,
    context: { [`aws:RequestTag/${TAG_MANAGED}`]: 'true' },
    why: 'tags are set only at creation, so an existing instance cannot be made ferry’s',
  },
  {
    role: 'UserInitiated',
    action: 'ec2:RunInstances',
    resource: `${EC2}:subnet/subnet-0badbadbadbadbad0`,
    context: { 'ec2:SubnetID': 'subnet-0badbadbadbadbad0' },
    why: 'launches only into the stack’s subnets',
  },
  {
    role: 'UserInitiated',
    action: 's3:GetObject',
    resource: 'arn:${Partition}:s3:::customer-data/secret.parquet',
    context: {},
    why: 'the control plane never reads customer data',
  },
  ...(['UserInitiated', 'Unattended'] as const).flatMap((role): DeniedSample[] => [
    {
      role,
      action: 's3:GetObject',
      resource: RESULTS_OBJECT,
      context: {},
      why: 'the control plane never reads query results',
    },
    {
      role,
      action: 's3:PutObject',
      resource: RESULTS_OBJECT,
      context: {},
      why: 'the control plane never writes query results',
    },
    {
      role,
      action: 's3:ListBucket',
      resource: 'arn:${Partition}:s3:::${ResultsBucket}',
      context: {},
      why: 'the control plane never lists query results',
    },
  ]),
];

/** The registry entries of one role, in registry order. */
export function entriesForRole(role: RoleName): PermissionEntry[] {
  return PERMISSIONS.filter((e) => e.role === role);
}

/** The actions of one role, sorted. */
export function actionsForRole(role: RoleName): string[] {
  return [...new Set(entriesForRole(role).map((e) => e.action))].sort();
}

/** The entry for one role and action, or undefined. Action names compare case-insensitively. */
export function findEntry(role: RoleName, action: string): PermissionEntry | undefined {
  const wanted = action.toLowerCase();
  return PERMISSIONS.find((e) => e.role === role && e.action.toLowerCase() === wanted);
}

/** The trust statements of one customer role. */
export function trustForRole(role: CustomerRole): TrustEntry[] {
  return TRUST.filter((t) => t.role === role);
}

/** The must-deny samples of one customer role. */
export function deniedSamplesForRole(role: CustomerRole): DeniedSample[] {
  return DENIED_SAMPLES.filter((s) => s.role === role);
}

export const isCustomerRole = (role: string): role is CustomerRole =>
  (CUSTOMER_ROLES as readonly string[]).includes(role);
