/**
 * Renders docs/aws-permissions.md from the registry, so the documentation can never drift
 * from the policies the template grants.
 */
import {
  CUSTOMER_ROLES,
  entriesForRole,
  PERMISSION_FREE,
  TAG_MANAGED,
  TAG_WORKSPACE,
  trustForRole,
  type ConditionSpec,
  type PermissionEntry,
  type Probe,
  type ResourceScope,
  type RoleName,
} from './permission-registry.ts';
import { isEachValue, isListValue, type ScopeValue } from './scope-value.ts';
import { CONNECTION_PERMISSIONS, CONNECTION_PROBE_PREFIX } from './connection-permissions.ts';
import { DEFAULT_RESULTS_RETENTION_DAYS, RESULTS_BUCKET_SUFFIX } from './results-bucket.ts';
import {
  NEW_VPC_CIDR,
  PARAMETER_DESCRIPTIONS,
  PARAMETER_NAMES,
  PHONE_HOME_STAGES,
  roleNamePattern,
  WORKER_PORT,
} from './template-builder.ts';
import { TEMPLATE_VERSION } from './template-version.ts';

/** Where the generated document lives, relative to the repository root. */
export const PERMISSIONS_DOC_PATH = 'docs/aws-permissions.md';

const code = (s: string): string => `\`${s}\``;

function valueText(v: ScopeValue): string {
  if (typeof v === 'string') return code(v);
  if (isListValue(v)) return `any of ${code(`\${${v.list}}`)}`;
  if (isEachValue(v)) {
    return `${code(v.pattern.replace('${item}', `\${${v.each}}`))} for each of ${code(v.each)} (none named: ${code(v.whenEmpty)})`;
  }
  return '';
}

function conditionText(c: ConditionSpec | undefined): string {
  if (!c) return '';
  const parts: string[] = [];
  for (const [op, keys] of Object.entries(c)) {
    for (const [key, v] of Object.entries(keys)) {
      const values = (Array.isArray(v) ? v : [v]).map(valueText).join(' or ');
      parts.push(`${code(key)} ${op} ${values}`);
    }
  }
  return parts.join(' and ');
}

function scopeText(s: ResourceScope): string {
  const resources = s.resources.map(valueText).join(', ');
  const when = conditionText(s.conditions);
  const type = s.resourceType === '*' ? '' : `${s.resourceType}: `;
  return `${type}${resources}${when ? ` — when ${when}` : ''}`;
}

function probeText(p: Probe): string {
  switch (p.kind) {
    case 'dry-run':
      return `EC2 DryRun${p.note ? ` (${p.note})` : ''}`;
    case 'call':
      return 'a harmless real call';
    case 's3-marker':
      return 'S3 call on a marker object under ferry’s prefix';
    case 'none':
      return `none: ${p.reason}`;
  }
}

function entryText(e: PermissionEntry): string {
  const lines = [`- **${e.action}** — ${e.why}`];
  for (const s of e.scopes) lines.push(`  - ${scopeText(s)}`);
  lines.push(`  - verified by: ${probeText(e.probe)}`);
  return lines.join('\n');
}

const ROLE_INTRO: Record<RoleName, string> = {
  UserInitiated: `Role ${code(roleNamePattern('UserInitiated'))}. ferry assumes it when a workspace member starts or stops compute. It can launch nodes only into the stack’s subnets and security groups, only with the Worker instance profile, and only tagged as ferry’s; it can stop only what carries ferry’s tag for this workspace.`,
  Unattended: `Role ${code(roleNamePattern('Unattended'))}. ferry’s reaper assumes it to terminate compute you forgot: clusters idle past their timeout and orphaned nodes. It can describe and remove, never launch, and only what carries ferry’s tag for this workspace.`,
  Worker: `Role ${code(roleNamePattern('Worker'))} with the instance profile of the same name. Cluster nodes run under it; it reads and writes your data in S3 and nothing else. Scope it with the ${code('WorkerBuckets')} parameter.`,
  Platform: `ferry’s own principal, in the platform’s account (not in your stack). Listed so you can see everything ferry does with AWS.`,
};

/** The full permissions document, in Markdown. */
export function renderPermissionsDoc(): string {
  const out: string[] = [];
  out.push(
    '# AWS infrastructure and permissions',
    '',
    `<!-- Generated from packages/aws-template (permission registry, template ${TEMPLATE_VERSION}). Do not edit; run \`npm run docs -w @ferry/aws-template\`. -->`,
    '',
    'ferry runs compute as plain EC2 instances in your own AWS account. A workspace connects to',
    'your account once, with a CloudFormation stack; nothing in the stack costs money while no',
    'cluster runs. ferry holds no long-lived key: it reaches your account only by assuming the',
    'stack’s roles, always presenting the workspace’s external ID.',
    '',
    '## What the stack creates',
    '',
    `- A VPC (${code(NEW_VPC_CIDR)}) with two public subnets in two availability zones, an internet`,
    '  gateway and a route table — or, with the existing-network template, nothing: you name a',
    '  VPC and its subnets.',
    `- Two security groups in that VPC. **direct**: clients reach workers on TCP ${WORKER_PORT} from`,
    `  ${code('AllowedClientCidr')} only. **proxy**: no inbound rule at all; workers dial out to ferry.`,
    '- Three IAM roles, each with one managed policy generated from the list below:',
    '  **UserInitiated**, **Unattended** and **Worker** (with its instance profile).',
    `- The results bucket ${code(`ferry-\${AccountId}-<workspace id, _ as ->${RESULTS_BUCKET_SUFFIX}`)}, where`,
    '  queries write their full results: default encryption (SSE-S3), every public access blocked,',
    '  ACLs disabled (bucket owner enforced), and a lifecycle rule that expires results after',
    `  ${code('ResultsRetentionDays')} days (default ${DEFAULT_RESULTS_RETENTION_DAYS}) and aborts multipart uploads left incomplete for a day.`,
    '  Only the Worker role may read and write it; UserInitiated and Unattended may not (the',
    '  verifier checks they are denied). Deleting the stack keeps the bucket (`DeletionPolicy:',
    '  Retain`): see docs/connect-aws.md.',
    `- Five progress reports to ferry (${PHONE_HOME_STAGES.join(' → ')}): CloudFormation custom`,
    `  resources backed by ferry’s SNS topic (${code('PhoneHomeTopicArn')}). They carry the workspace`,
    '  id, the external ID and the ids the stack created (roles, instance profile, VPC, subnets,',
    '  security groups), so you never copy anything back by hand. No setup role is needed.',
    '',
    'Resources ferry creates at run time carry the tags',
    `${code(`${TAG_MANAGED}=true`)} and ${code(`${TAG_WORKSPACE}=<workspace id>`)}; every permission to`,
    'change or delete something requires them, and every permission to create something requires',
    'them on the request.',
    '',
    '## Parameters',
    '',
  );
  for (const p of [...PARAMETER_NAMES, 'ResultsRetentionDays', 'VpcId', 'SubnetIds'] as const) {
    out.push(`- ${code(p)}: ${PARAMETER_DESCRIPTIONS[p]}`);
  }
  out.push(
    '',
    '## Who may assume the roles',
    '',
    `Names in ${code('${…}')} are the stack’s own values (parameters, the region, the account).`,
    '',
  );
  for (const role of CUSTOMER_ROLES) {
    out.push(`### ${role}`, '');
    for (const t of trustForRole(role)) {
      const who =
        t.principal === 'ec2' ? 'EC2 (`ec2.amazonaws.com`)' : code('${PlatformPrincipalArn}');
      const when = conditionText(t.conditions);
      out.push(
        `- ${who}: ${t.actions.map((a) => `**${a}**`).join(', ')}${when ? ` — when ${when}` : ''}. ${t.why}`,
      );
    }
    out.push('');
  }
  out.push('## IAM permissions', '');
  for (const role of [...CUSTOMER_ROLES, 'Platform'] as const) {
    out.push(`### ${role}`, '', ROLE_INTRO[role], '');
    for (const e of entriesForRole(role)) out.push(entryText(e));
    out.push('');
  }
  out.push(
    '### Connection',
    '',
    'A role a data owner creates in their own account for one data connection (see',
    '`docs/connections.md`). Its policy holds only the entries of the connection’s uses;',
    `names in ${code('${…}')} are the connection’s values, and the \`s3:prefix\` condition`,
    'applies only when the connection has a read prefix. The write entries add a delete',
    `limited to the connection test’s probe objects (${code(CONNECTION_PROBE_PREFIX)} under the write prefix).`,
    '',
  );
  for (const e of CONNECTION_PERMISSIONS) {
    const when = conditionText(e.conditionsWithPrefix);
    out.push(
      `- **${e.action}** (${e.use}) on ${e.resources.map(code).join(', ')}${when ? ` — when ${when}` : ''}. ${e.why} Checked by: ${e.check}.`,
    );
  }
  out.push('');
  out.push('### Calls that need no permission', '');
  for (const p of PERMISSION_FREE) out.push(`- **${p.action}** — ${p.why}`);
  out.push(
    '',
    '## Compared with Polars Cloud’s published lists',
    '',
    '- `iam:PassRole` is granted, but only for the Worker role and only to EC2 — launching with an',
    '  instance profile needs it.',
    '- `ec2:CreateTags` works only inside the call that creates the resource (`ec2:CreateAction`).',
    '- Terminate and delete work only on resources tagged as this workspace’s ferry resources.',
    '- Launches go only into the stack’s subnets and security groups, with the Worker profile.',
    '- Read-only EC2 calls are limited to the stack’s region.',
    '- The Worker may also delete objects and abort multipart uploads (temporary results), and can',
    '  be limited to named buckets.',
    '- The platform may assume the Worker role too (with the external ID), so it can verify the',
    '  Worker’s S3 access on a marker object; limit what that reaches with `WorkerBuckets`.',
    '',
  );
  return out.join('\n');
}
